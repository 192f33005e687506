#!/usr/bin/env bash
# Run the original Autobahn testsuite (fuzzingclient, Python 2.7) and `wirecheck ws` on the same
# cases against the same server, and print every case whose verdicts differ (behavior,
# behaviorClose, remoteCloseCode). Verdicts are checked against reality this way; the README says
# which differences remain and why.
#
#   scripts/compare-autobahn.sh [CASES [NAME]]
#       CASES: Autobahn's case list, comma-separated ids or patterns (default: the core cases 1.*
#       to 10.*); NAME: an implementation of interop/ (node-ws, websockets, aiohttp), started with
#       its start.sh (default: Node's `ws` with permessage-deflate, as ws's own Autobahn runs use it)
#
# Needs: python2.7 (PYTHON2=..., default: pyenv's 2.7.18), node and npm, network access to PyPI and
# npm. Installs into a temporary directory; nothing is left behind but the reports it names.
set -euo pipefail
cd "$(dirname "$0")/.."

cases="${1:-1.*,2.*,3.*,4.*,5.*,6.*,7.*,9.*,10.*}"
name="${2:-}"
if [ -n "$name" ] && [ ! -x "interop/$name/start.sh" ]; then
    echo "compare-autobahn.sh: no implementation interop/$name" >&2
    exit 2
fi
python2="${PYTHON2:-$HOME/.pyenv/versions/2.7.18/bin/python}"
work="$(mktemp -d)"
port=9031
server_pid=""
cleanup() {
    [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
}
trap cleanup EXIT

echo "== installing autobahntestsuite 25.10.1 (pinned requirements) into $work/py"
"$python2" -m pip install --quiet --target "$work/py" -r scripts/autobahn-requirements.txt

if [ -n "$name" ]; then
    echo "== $name (interop/$name/start.sh) into $work/$name"
    mkdir -p "$work/$name"
    "interop/$name/start.sh" "$work/$name" "$port" >"$work/$name.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 1 600); do
        (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
        kill -0 "$server_pid" 2>/dev/null || { tail -20 "$work/$name.log" >&2; exit 2; }
        sleep 0.5
    done
    echo "   $("interop/$name/version.sh" "$work/$name") on 127.0.0.1:$port"
else
echo "== installing ws (npm) into $work/node"
mkdir -p "$work/node"
(cd "$work/node" && npm init -y >/dev/null && npm install --silent ws@8 >/dev/null)
cat >"$work/node/server.js" <<'EOF'
// An echo server on ws with permessage-deflate on, as ws's own Autobahn runs use it.
const { WebSocketServer } = require('ws');
const wss = new WebSocketServer({
  host: '127.0.0.1', port: +process.argv[2], perMessageDeflate: true, maxPayload: 64 << 20,
});
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
EOF
(cd "$work/node" && node server.js "$port") &
server_pid=$!
sleep 1
version="$(cd "$work/node" && node -e "console.log(require('ws/package.json').version)")"
echo "   ws $version on 127.0.0.1:$port"
fi

echo "== Autobahn fuzzingclient on: $cases"
python3 - "$cases" "$port" >"$work/fuzzingclient.json" <<'EOF'
import json, sys
cases = [c.strip() for c in sys.argv[1].split(",") if c.strip()]
print(json.dumps({"outdir": "./autobahn", "servers": [{"agent": "ws", "url": "ws://127.0.0.1:%s" % sys.argv[2]}],
                  "cases": cases, "exclude-cases": [], "exclude-agent-cases": {}}))
EOF
(cd "$work" && PYTHONPATH="$work/py" "$python2" -c \
    "import site; site.addsitedir('$work/py'); from autobahntestsuite.wstest import run; run()" \
    -m fuzzingclient -s fuzzingclient.json >autobahn.log 2>&1)

echo "== wirecheck ws on the cases Autobahn ran"
cargo build --release -q -p wirecheck
ids="$(python3 -c "import json,sys; print(','.join(json.load(open(sys.argv[1]))['ws']))" "$work/autobahn/index.json")"
(cd "$work" && "$OLDPWD/target/release/wirecheck" ws "ws://127.0.0.1:$port/" --cases "$ids" --agent ws \
    --format json >wirecheck.json) || true

echo "== differences"
python3 - "$work/autobahn/index.json" "$work/wirecheck-reports/ws/index.json" <<'EOF'
import json, sys
autobahn = json.load(open(sys.argv[1]))["ws"]
ours = json.load(open(sys.argv[2]))["ws"]
key = lambda s: [int(p) for p in s.split(".")]
diffs = 0
for case in sorted(autobahn, key=key):
    a, o = autobahn[case], ours.get(case)
    va = (a["behavior"], a["behaviorClose"], a.get("remoteCloseCode"))
    vo = o and (o["behavior"], o["behaviorClose"], o.get("remoteCloseCode"))
    if va != vo:
        diffs += 1
        print("%-9s Autobahn %s, wirecheck %s" % (case, va, vo))
ta = sum(v["duration"] for v in autobahn.values()) / 1000.0
to = sum(v["duration"] for v in ours.values()) / 1000.0
print("%d cases, %d differences; sum of case durations: Autobahn %.1f s, wirecheck %.1f s"
      % (len(autobahn), diffs, ta, to))
EOF
echo "reports: $work/autobahn/index.html and $work/wirecheck-reports/ws/index.html"
