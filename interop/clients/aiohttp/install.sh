#!/usr/bin/env bash
# aiohttp (pinned in interop/aiohttp/requirements.txt) with a fuzzingserver driver.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
cp "$here/client.py" "$work/"
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet -r "$here/../../aiohttp/requirements.txt"
