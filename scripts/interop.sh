#!/usr/bin/env bash
# Run wirecheck against real implementations installed from the package registries and compare
# every verdict with what is expected of them.
#
#   scripts/interop.sh [--update] [--readme] [--skip PATTERNS] [NAME...]
#
# Each implementation is a folder interop/NAME/ with
#   start.sh WORK PORT   installs it into WORK (once) and serves on 127.0.0.1:PORT in the foreground
#   version.sh WORK      prints the versions installed, one line
#   runs                 one line per wirecheck run: label, protocol (ws|sse), path, flags
# and its expectations in interop/expected/NAME.json: the verdict of every case in every run, with
# the sources they were checked against. NAME defaults to every folder with a start.sh.
#
#   --update   write the verdicts observed as the expectations (then review the diff)
#   --readme   rewrite the README's "Known results" table (between its interop markers) from the
#              expectations of every implementation
#   --skip P   leave the WebSocket cases matching P out (passed to `wirecheck ws --exclude`);
#              expected verdicts of the cases left out are not compared (CI: '12.*,13.*')
#
# Exit 0 when every verdict matches, 1 on a difference, 2 when an implementation cannot be set up.
# Needs python3 (with venv), node and npm, and the registries. Installs into
# $WIRECHECK_INTEROP_DIR (default: a new temporary directory; set it to reuse installs).
set -euo pipefail
cd "$(dirname "$0")/.."

update=0
readme=0
skip=""
names=()
want_skip=0
for a in "$@"; do
    if [ "$want_skip" = 1 ]; then
        skip="$a"
        want_skip=0
        continue
    fi
    case "$a" in
    --update) update=1 ;;
    --readme) readme=1 ;;
    --skip) want_skip=1 ;;
    -*)
        echo "interop.sh: unknown flag $a" >&2
        exit 2
        ;;
    *) names+=("$a") ;;
    esac
done
if [ "$want_skip" = 1 ] || { [ -n "$skip" ] && [ "$update" = 1 ]; }; then
    echo "interop.sh: --skip needs patterns, and cannot be used with --update" >&2
    exit 2
fi
if [ ${#names[@]} -eq 0 ]; then
    for d in interop/*/start.sh; do names+=("$(basename "$(dirname "$d")")"); done
fi
for n in "${names[@]}"; do
    [ -x "interop/$n/start.sh" ] || {
        echo "interop.sh: no implementation interop/$n (expected interop/$n/start.sh)" >&2
        exit 2
    }
done

work="${WIRECHECK_INTEROP_DIR:-$(mktemp -d)}"
mkdir -p "$work/results"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
}
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Wait until PORT accepts connections while PID lives (installing can take minutes).
wait_port() {
    local port="$1" pid="$2"
    for _ in $(seq 1 600); do
        kill -0 "$pid" 2>/dev/null || return 1
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0
        sleep 0.5
    done
    return 1
}

echo "== building wirecheck"
cargo build --release -q -p wirecheck
bin="$PWD/target/release/wirecheck"

for n in "${names[@]}"; do
    port="$(free_port)"
    mkdir -p "$work/$n"
    echo "== $n: installing and starting on 127.0.0.1:$port (log: $work/$n.log)"
    "interop/$n/start.sh" "$work/$n" "$port" >"$work/$n.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    if ! wait_port "$port" "$pid"; then
        echo "interop.sh: $n did not start; its log:" >&2
        tail -20 "$work/$n.log" >&2
        exit 2
    fi
    "interop/$n/version.sh" "$work/$n" >"$work/results/$n.version"
    echo "   $(cat "$work/results/$n.version")"
    # Every run of one implementation at once: each observes for its own --duration.
    run_pids=()
    while read -r label proto path flags; do
        case "$label" in '' | '#'*) continue ;; esac
        case "$proto" in ws) scheme=ws ;; *) scheme=http ;; esac
        exclude=()
        if [ "$proto" = ws ] && [ -n "$skip" ]; then exclude=(--exclude "$skip"); fi
        echo "   wirecheck $proto $scheme://127.0.0.1:$port$path $flags ${exclude[*]}"
        # shellcheck disable=SC2086
        "$bin" "$proto" "$scheme://127.0.0.1:$port$path" --agent "$n" --format json $flags "${exclude[@]}" \
            --report-dir "$work/reports/$n/$label" >"$work/results/$n.$label.json" \
            2>"$work/results/$n.$label.err" &
        run_pids+=($!)
    done <"interop/$n/runs"
    for p in "${run_pids[@]}"; do wait "$p" || true; done
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
done

echo "== comparing with interop/expected/"
python3 - "$work/results" "$update" "$readme" "$skip" "${names[@]}" <<'EOF'
import fnmatch, json, os, re, sys

results, update, readme = sys.argv[1], sys.argv[2] == "1", sys.argv[3] == "1"
skipped = [p.strip() for p in sys.argv[4].split(",") if p.strip()]
names = sys.argv[5:]
ORDER = ["OK", "NON-STRICT", "FAILED", "INFORMATIONAL", "UNIMPLEMENTED"]
diffs, rows = [], []
for name in names:
    version = open(os.path.join(results, name + ".version")).read().strip()
    runs = {}
    for line in open(os.path.join("interop", name, "runs")):
        parts = line.split(None, 3)
        if not parts or parts[0].startswith("#"):
            continue
        label = parts[0]
        flags = parts[3].strip() if len(parts) > 3 else ""
        path = os.path.join(results, "%s.%s.json" % (name, label))
        try:
            out = json.load(open(path))
        except (OSError, ValueError):
            err = open(os.path.join(results, "%s.%s.err" % (name, label))).read().strip()
            diffs.append("%s %s: wirecheck gave no JSON: %s" % (name, label, err[-300:]))
            continue
        runs[label] = {"flags": flags, "cases": {c["id"]: [c["behavior"], c["result"]] for c in out["cases"]}}
    exp_path = os.path.join("interop", "expected", name + ".json")
    expected = json.load(open(exp_path)) if os.path.exists(exp_path) else None
    if update:
        doc = expected or {"sources": []}
        doc["implementation"] = version
        doc["runs"] = {
            label: {"flags": r["flags"], "verdicts": {k: v[0] for k, v in sorted(r["cases"].items())}}
            for label, r in runs.items()
        }
        with open(exp_path, "w") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")
        expected = doc
    elif expected is None:
        diffs.append("%s: no expectations (%s); run with --update and review them" % (name, exp_path))
        continue
    for label, r in runs.items():
        want = expected.get("runs", {}).get(label, {}).get("verdicts", {})
        for case, (got, why) in sorted(r["cases"].items()):
            if want.get(case) != got:
                diffs.append("%s %s %s: expected %s, got %s: %s" % (name, label, case, want.get(case, "(none)"), got, why))
        for case in sorted(set(want) - set(r["cases"])):
            if any(fnmatch.fnmatchcase(case, p) for p in skipped):
                continue
            diffs.append("%s %s %s: expected %s, did not run" % (name, label, case, want[case]))

# The table holds every implementation's expectations (those of this run were just compared with
# what was observed, or written from it), so a run of a few names keeps the others' rows.
for name in sorted(os.listdir("interop")):
    exp_path = os.path.join("interop", "expected", name + ".json")
    if not os.path.exists(os.path.join("interop", name, "start.sh")) or not os.path.exists(exp_path):
        continue
    doc = json.load(open(exp_path))
    for label, r in doc.get("runs", {}).items():
        counts = [sum(1 for v in r["verdicts"].values() if v == b) for b in ORDER]
        rows.append((doc["implementation"], "`%s`" % (r["flags"] or "(defaults)"), counts))

table = ["| Implementation | wirecheck flags | OK | NON-STRICT | FAILED | INFO | UNIMPL |", "|---|---|---|---|---|---|---|"]
for version, flags, c in rows:
    table.append("| %s | %s | %s |" % (version, flags, " | ".join(str(x) for x in c)))
print("\n".join(table))
if readme:
    text = open("README.md").read()
    begin, end = "<!-- interop:begin -->", "<!-- interop:end -->"
    if begin not in text or end not in text:
        sys.exit("interop.sh: README.md has no %s ... %s markers" % (begin, end))
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    open("README.md", "w").write(head + begin + "\n" + "\n".join(table) + "\n" + end + tail)
    print("README.md: Known results table rewritten")
if diffs:
    print("\n%d differences from interop/expected/:" % len(diffs))
    for d in diffs:
        print("  " + d)
    sys.exit(1)
print("\nevery verdict matches interop/expected/")
EOF
