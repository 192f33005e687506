#!/usr/bin/env bash
# Install ws from npm into WORK (once) and serve server.js (Node's http2 module, h2c with prior
# knowledge) on 127.0.0.1:PORT in the foreground.   interop/node-http2/start.sh WORK PORT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
port="$2"
if [ ! -d "$work/node_modules/ws" ]; then
    mkdir -p "$work"
    cp "$here/package.json" "$work/package.json"
    (cd "$work" && npm install --silent --no-audit --no-fund >/dev/null)
fi
cp "$here/server.js" "$work/server.js"
cd "$work"
exec node server.js "$port"
