#!/usr/bin/env bash
# Install hypercorn from PyPI into WORK (a venv, once) and serve server.py on 127.0.0.1:PORT in
# the foreground (HTTP/1.1 and h2c with prior knowledge on the one port).
#   interop/hypercorn/start.sh WORK PORT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
port="$2"
if [ ! -x "$work/venv/bin/python" ] || ! "$work/venv/bin/python" -c 'import hypercorn' 2>/dev/null; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi
exec "$work/venv/bin/python" "$here/server.py" "$port"
