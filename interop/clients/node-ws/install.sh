#!/usr/bin/env bash
# ws (pinned in interop/node-ws/package.json) with a fuzzingserver driver, the loop every
# client library keeps for Autobahn.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
cp "$here/../../node-ws/package.json" "$here/client.js" "$work/"
[ -d "$work/node_modules/ws" ] || (cd "$work" && npm install --silent >/dev/null)
