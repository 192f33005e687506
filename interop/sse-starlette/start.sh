#!/usr/bin/env bash
# Install sse-starlette and uvicorn from PyPI into WORK (a venv, once) and serve app.py on
# 127.0.0.1:PORT in the foreground.   interop/sse-starlette/start.sh WORK PORT
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
port="$2"
if [ ! -x "$work/venv/bin/uvicorn" ]; then
    python3 -m venv "$work/venv"
    "$work/venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
fi
cp "$here/app.py" "$work/app.py"
cd "$work"
exec "$work/venv/bin/uvicorn" app:app --host 127.0.0.1 --port "$port" --log-level warning
