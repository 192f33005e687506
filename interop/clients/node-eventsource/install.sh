#!/usr/bin/env bash
# Install the eventsource package (pinned in package.json) into WORK, with the adapter.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$1"
cp "$here/package.json" "$here/adapter.mjs" "$work/"
[ -d "$work/node_modules/eventsource" ] || (cd "$work" && npm install --silent >/dev/null)
