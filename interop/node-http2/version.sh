#!/usr/bin/env bash
# The versions started by start.sh WORK, one line.
set -euo pipefail
v="$(sed -n 's/^ *"version": *"\(.*\)".*/\1/p' "$1/node_modules/ws/package.json" | head -1)"
echo "Node $(node --version) http2, ws $v (npm)"
