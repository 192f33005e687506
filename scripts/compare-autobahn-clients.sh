#!/usr/bin/env bash
# Test the same WebSocket clients with the original Autobahn fuzzingserver (Python 2.7) and with
# `wirecheck clients ws`, and print every case whose verdicts differ (behavior, behaviorClose,
# remoteCloseCode). The clients: wirecheck's reference client (`wirecheck client ws`), Node's `ws`
# and Python's `websockets` and `aiohttp`, with the drivers of interop/clients/ (pinned as there). The README
# says which differences remain and why.
#
#   scripts/compare-autobahn-clients.sh [CASES [CLIENT...]]
#       CASES: comma-separated patterns (default: 1.* to 10.*; the compression cases 12.*, 13.*
#       take the original many minutes per client); CLIENT: wirecheck-client, node-ws, websockets,
#       aiohttp (default: all four)
#
# Needs: python2.7 (PYTHON2=..., default: pyenv's 2.7.18), node and npm, the package registries.
# Installs into a temporary directory; nothing is left behind but the reports it names.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

cases="${1:-1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*}"
shift || true
only=("$@")
python2="${PYTHON2:-$HOME/.pyenv/versions/2.7.18/bin/python}"
work="$(mktemp -d)"
fuzzer_pid=""
cleanup() {
    [ -n "$fuzzer_pid" ] && kill "$fuzzer_pid" 2>/dev/null || true
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

echo "== installing autobahntestsuite 25.10.1 (pinned requirements) into $work/py"
"$python2" -m pip install --quiet --target "$work/py" -r scripts/autobahn-requirements.txt

for c in node-ws websockets aiohttp; do
    echo "== installing $c (interop/clients/$c/install.sh) into $work/$c"
    mkdir -p "$work/$c"
    "interop/clients/$c/install.sh" "$work/$c" >"$work/$c.log" 2>&1
done

cargo build --release -q -p wirecheck
wirecheck="$root/target/release/wirecheck"
# name, then the command with {url}
clients=(
  "wirecheck-client|$wirecheck client ws {url} --agent wirecheck-client"
  "node-ws|node $work/node-ws/client.js {url} node-ws"
  "websockets|$work/websockets/venv/bin/python $work/websockets/client.py {url} websockets"
  "aiohttp|$work/aiohttp/venv/bin/python $work/aiohttp/client.py {url} aiohttp"
)
if [ ${#only[@]} -gt 0 ]; then
    picked=()
    for c in "${clients[@]}"; do
        for o in "${only[@]}"; do [ "${c%%|*}" = "$o" ] && picked+=("$c"); done
    done
    clients=("${picked[@]}")
fi

port="$(free_port)"
echo "== Autobahn fuzzingserver on 127.0.0.1:$port: $cases"
python3 - "$cases" "$port" >"$work/fuzzingserver.json" <<'PY'
import json, sys
cases = [c.strip() for c in sys.argv[1].split(",") if c.strip()]
print(json.dumps({"url": "ws://127.0.0.1:%s" % sys.argv[2], "outdir": "./autobahn",
                  "cases": cases, "exclude-cases": [], "exclude-agent-cases": {}}))
PY
(cd "$work" && PYTHONPATH="$work/py" exec "$python2" -c \
    "import site; site.addsitedir('$work/py'); from autobahntestsuite.wstest import run; run()" \
    -m fuzzingserver -s fuzzingserver.json -u 0 >autobahn.log 2>&1) &
fuzzer_pid=$!
for _ in $(seq 50); do
    python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
    sleep 0.2
done
for c in "${clients[@]}"; do
    name="${c%%|*}"; cmd="${c#*|}"
    echo "   $name against Autobahn"
    start=$(date +%s.%N)
    (cd "$work" && eval "${cmd//\{url\}/ws://127.0.0.1:$port}") >"$work/$name-autobahn.log" 2>&1 || true
    echo "   $(python3 -c "print('%.1f s' % ($(date +%s.%N) - $start))")"
done
kill "$fuzzer_pid" 2>/dev/null || true
fuzzer_pid=""

ids="$(python3 -c "import json,sys; print(','.join(sorted(next(iter(json.load(open(sys.argv[1])).values())))))" "$work/autobahn/index.json")"
for c in "${clients[@]}"; do
    name="${c%%|*}"; cmd="${c#*|}"
    echo "== wirecheck clients ws with $name"
    # shellcheck disable=SC2086
    (cd "$work" && "$wirecheck" clients ws --cases "$ids" --agent "$name" \
        --report-dir "wirecheck-reports/$name" --format json -- ${cmd} >"$name-wirecheck.json") || true
done

echo "== differences"
python3 - "$work" "${clients[@]}" <<'PY'
import json, sys
work = sys.argv[1]
autobahn = json.load(open(work + "/autobahn/index.json"))
key = lambda s: [int(p) for p in s.split(".")]
for c in sys.argv[2:]:
    name = c.split("|")[0]
    a_all = autobahn.get(name, {})
    ours = json.load(open("%s/wirecheck-reports/%s/index.json" % (work, name))).get(name, {})
    diffs = 0
    for case in sorted(set(a_all) | set(ours), key=key):
        a, o = a_all.get(case), ours.get(case)
        va = a and (a["behavior"], a["behaviorClose"], a.get("remoteCloseCode"))
        vo = o and (o["behavior"], o["behaviorClose"], o.get("remoteCloseCode"))
        if va != vo:
            diffs += 1
            print("%-14s %-9s Autobahn %s, wirecheck %s" % (name, case, va, vo))
    ta = sum(v["duration"] for v in a_all.values()) / 1000.0
    to = sum(v["duration"] for v in ours.values()) / 1000.0
    print("%s: %d cases, %d differences; sum of case durations: Autobahn %.1f s, wirecheck %.1f s"
          % (name, len(a_all), diffs, ta, to))
PY
echo "reports: $work/autobahn/index.html and $work/wirecheck-reports/*/index.html"
