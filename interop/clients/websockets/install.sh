#!/usr/bin/env bash
# websockets (pinned in interop/websockets/requirements.txt) with a fuzzingserver driver.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
cp "$here/client.py" "$work/"
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet -r "$here/../../websockets/requirements.txt"
