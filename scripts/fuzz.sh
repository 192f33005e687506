#!/usr/bin/env bash
# Build every cargo-fuzz target and run each for SECONDS (default 60), one after
# the other, then minimise what each run added to its corpus.
#
#   scripts/fuzz.sh [SECONDS]            all targets
#   TARGETS="sse_parser" scripts/fuzz.sh 600   some targets
#
# Needs the nightly toolchain (`rustup toolchain install nightly`) and cargo-fuzz
# (`cargo install cargo-fuzz --locked`).
#
# Corpora: the committed seeds in corpus/<target>/ are never written to. Each run
# works in fuzz/corpus-work/<target>/ (seeded from corpus/<target>/, kept between
# runs, ignored by git). Afterwards `cargo fuzz cmin` minimises the working corpus
# into fuzz/corpus-new/<target>/, keeping only inputs that add coverage beyond
# corpus/<target>/. To promote entries, review them and copy the few worth keeping
# into corpus/<target>/ (small files, named after what they exercise), then run
# `cargo test -p wirecheck-codec --test corpus_replay` and commit.
#
# Crashes: libFuzzer writes the input to fuzz/artifacts/<target>/crash-*; the script
# goes on with the other targets and exits non-zero at the end. Reproduce with
# `cargo +nightly fuzz run <target> fuzz/artifacts/<target>/crash-...`; once fixed,
# commit the input as corpus/<target>/crash-<what>, so `cargo test` replays it.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds="${1:-60}"
# shellcheck source=../fuzz/targets.sh
. fuzz/targets.sh
targets="${TARGETS:-$(fuzz_targets)}"
toolchain="${FUZZ_TOOLCHAIN:-+nightly}"

echo "== building fuzz targets (release, debug assertions)"
(cd fuzz && cargo $toolchain fuzz build -O --debug-assertions)

failed=()
for t in $targets; do
    work="fuzz/corpus-work/$t"
    new="fuzz/corpus-new/$t"
    mkdir -p "$work" "fuzz/artifacts/$t"
    cp -n corpus/"$t"/* "$work"/ 2>/dev/null || true
    echo "== $t: ${seconds}s"
    log="fuzz/corpus-work/$t.log"
    if (cd fuzz && cargo $toolchain fuzz run -O --debug-assertions "$t" "corpus-work/$t" -- \
            -max_total_time="$seconds" -dict="../$(fuzz_dict "$t")" -rss_limit_mb=2048 \
            -timeout=10 -jobs=1 -workers=1 -print_final_stats=1) >"$log" 2>&1; then
        grep -E '^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)' "$log" || true
        # Minimise: `cargo fuzz cmin` shrinks the working corpus to a minimal set with
        # the same coverage, then a libFuzzer merge against the committed seeds keeps
        # only the entries that add coverage beyond corpus/<target>/.
        (cd fuzz && cargo $toolchain fuzz cmin -O --debug-assertions "$t" "corpus-work/$t" \
            >/dev/null 2>&1) || echo "   (cmin failed; working corpus left as is)"
        rm -rf "$new" && mkdir -p "$new"
        cp corpus/"$t"/* "$new"/
        (cd fuzz && cargo $toolchain fuzz run -O --debug-assertions "$t" "corpus-new/$t" \
            "corpus-work/$t" -- -merge=1 >/dev/null 2>&1) || echo "   (merge failed)"
        for f in corpus/"$t"/*; do rm -f "$new/$(basename "$f")"; done
        echo "   $(ls "$new" | wc -l) minimised new entries in $new"
    else
        echo "!! $t failed; see $log and fuzz/artifacts/$t/"
        grep -E -A3 "panicked|ERROR: libFuzzer|SUMMARY|Failing input" "$log" | head -n 40 || true
        failed+=("$t")
    fi
done

if [ "${#failed[@]}" -gt 0 ]; then
    echo "== crashed: ${failed[*]}"
    exit 1
fi
echo "== all fuzz targets ran ${seconds}s without a crash"
