#!/usr/bin/env bash
# Build every cargo-fuzz target for ClusterFuzzLite/OSS-Fuzz and install it in $OUT
# with its seed corpus ($OUT/<target>_seed_corpus.zip, from corpus/<target>/) and
# dictionary ($OUT/<target>.dict, from corpus/dict/).
#
# In the base-builder-rust image, RUSTUP_TOOLCHAIN selects nightly and $CARGO_BUILD_TARGET
# / RUSTFLAGS carry the sanitizer flags. Outside it (CI, a laptop):
#   OUT=$(mktemp -d) SRC=/path/to/parent-of-repo .clusterfuzzlite/build.sh
# uses `cargo +nightly`, so only a nightly toolchain and cargo-fuzz are needed.
set -euo pipefail

: "${OUT:?set OUT to the directory that receives the fuzzers}"
: "${SRC:?set SRC to the directory that holds the wirecheck checkout}"
mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
repo="$SRC/wirecheck"
[ -d "$repo" ] || repo="$(cd "$(dirname "$0")/.." && pwd)"
cd "$repo"

if [ -n "${RUSTUP_TOOLCHAIN:-}" ]; then
    cargo=(cargo)
else
    cargo=(cargo +nightly)
fi

(cd fuzz && "${cargo[@]}" fuzz build -O)

# shellcheck source=../fuzz/targets.sh
. fuzz/targets.sh
targets=$(fuzz_targets)
bin_dir="fuzz/target/x86_64-unknown-linux-gnu/release"

zip_dir() { # zip_dir ZIP DIR: the files of DIR, flat, into ZIP
    local zip="$1" dir="$2"
    rm -f "$zip"
    if command -v zip >/dev/null 2>&1; then
        zip -q -j "$zip" "$dir"/*
    else
        (cd "$dir" && python3 -m zipfile -c "$zip" ./*)
    fi
}

for t in $targets; do
    cp "$bin_dir/$t" "$OUT/$t"
    if [ -d "corpus/$t" ]; then
        zip_dir "$OUT/${t}_seed_corpus.zip" "corpus/$t"
    fi
    cp "$(fuzz_dict "$t")" "$OUT/$t.dict"
done
echo "built: $(echo $targets | wc -w) fuzz targets into $OUT"
