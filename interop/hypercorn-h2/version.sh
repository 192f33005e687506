#!/usr/bin/env bash
# The versions started by start.sh WORK (interop/hypercorn's), one line.
set -euo pipefail
exec "$(cd "$(dirname "$0")/../hypercorn" && pwd)/version.sh" "$@"
