#!/usr/bin/env bash
# Test real clients, installed from the package registries, with `wirecheck clients ws|sse`
# and compare every verdict with what is expected of them.
#
#   scripts/interop-clients.sh [--update] [NAME...]
#
# Each client is a folder interop/clients/NAME/ with
#   install.sh WORK   installs it (and its driver or adapter) into WORK; exit 2: not available here
#   version.sh WORK   prints the versions installed, one line
#   run               one line: the protocol (ws|sse), then the command, {url} and {work} replaced
# and its expectations in interop/expected/clients-NAME.json. NAME defaults to every folder and
# the reference clients `reference-ws` and `reference-sse` (`wirecheck client ws|sse`), which must
# pass every case (OK or INFORMATIONAL) and need no expectations.
#
#   --update   write the verdicts observed as the expectations (then review the diff)
#
# Exit 0 when every verdict matches, 1 on a difference, 2 when a client cannot be set up.
# Needs python3, node and npm, the registries; chromium for the chromium client.
set -euo pipefail
cd "$(dirname "$0")/.."

update=0
names=()
for a in "$@"; do
    case "$a" in
    --update) update=1 ;;
    -*) echo "interop-clients.sh: unknown flag $a" >&2; exit 2 ;;
    *) names+=("$a") ;;
    esac
done
if [ ${#names[@]} -eq 0 ]; then
    names=(reference-ws reference-sse)
    for d in interop/clients/*/install.sh; do names+=("$(basename "$(dirname "$d")")"); done
fi
work="${WIRECHECK_INTEROP_DIR:-$(mktemp -d)}/clients"
mkdir -p "$work/results"

echo "== building wirecheck"
cargo build --release -q -p wirecheck
bin="$PWD/target/release/wirecheck"

run_one() { # name proto command...
    local name="$1" proto="$2"
    shift 2
    echo "   wirecheck clients $proto -- $*"
    "$bin" clients "$proto" --agent "$name" --format json --report-dir "$work/reports/$name" \
        -- "$@" >"$work/results/$name.json" 2>"$work/results/$name.err" || true
}

all=()
for n in "${names[@]}"; do
    case "$n" in
    reference-ws | reference-sse)
        proto="${n#reference-}"
        echo "== $n"
        echo "wirecheck client $proto (the reference client)" >"$work/results/$n.version"
        if [ "$proto" = ws ]; then
            run_one "$n" ws "$bin" client ws "{url}" --agent "$n"
        else
            run_one "$n" sse "$bin" client sse "{url}"
        fi
        all+=("$n")
        continue
        ;;
    esac
    dir="interop/clients/$n"
    mkdir -p "$work/$n"
    echo "== $n: installing (log: $work/$n.log)"
    rc=0
    "$dir/install.sh" "$work/$n" >"$work/$n.log" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "interop-clients.sh: $n cannot be set up here; its log:" >&2
        tail -5 "$work/$n.log" >&2
        exit 2
    fi
    "$dir/version.sh" "$work/$n" >"$work/results/$n.version"
    echo "   $(cat "$work/results/$n.version")"
    read -r proto rest <"$dir/run"
    # shellcheck disable=SC2086
    run_one "$n" "$proto" ${rest//\{work\}/$work/$n}
    all+=("$n")
done

echo "== comparing with interop/expected/clients-*.json"
python3 - "$work/results" "$update" "${all[@]}" <<'PY'
import json, os, sys

results, update, names = sys.argv[1], sys.argv[2] == "1", sys.argv[3:]
diffs = []
for name in names:
    version = open(os.path.join(results, name + ".version")).read().strip()
    try:
        out = json.load(open(os.path.join(results, name + ".json")))
    except (OSError, ValueError):
        err = open(os.path.join(results, name + ".err")).read().strip()
        diffs.append("%s: wirecheck gave no JSON: %s" % (name, err[-300:]))
        continue
    got = {c["id"]: c["behavior"] for c in out["cases"]}
    reasons = {c["id"]: c["result"] for c in out["cases"]}
    counts = {}
    for b in got.values():
        counts[b] = counts.get(b, 0) + 1
    print("   %-16s %s: %s" % (name, version, ", ".join("%d %s" % (n, b) for b, n in sorted(counts.items()))))
    if name.startswith("reference-"):
        bad = [c for c, b in got.items() if b not in ("OK", "INFORMATIONAL")]
        if bad:
            diffs.append("%s: the reference client must pass every case; failed: %s" % (name, ", ".join(bad)))
        continue
    path = os.path.join("interop", "expected", "clients-%s.json" % name)
    expected = json.load(open(path)) if os.path.exists(path) else None
    if update:
        doc = expected or {"sources": []}
        doc["implementation"] = version
        doc["verdicts"] = dict(sorted(got.items()))
        with open(path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        continue
    if expected is None:
        diffs.append("%s: no expectations (run with --update, then review)" % name)
        continue
    for case in sorted(set(expected["verdicts"]) | set(got)):
        want, have = expected["verdicts"].get(case), got.get(case)
        if want != have:
            diffs.append("%s %s: expected %s, got %s (%s)" % (name, case, want, have, reasons.get(case, "")))
for d in diffs:
    print(d)
print("every verdict matches" if not diffs else "%d difference(s)" % len(diffs))
sys.exit(1 if diffs else 0)
PY
