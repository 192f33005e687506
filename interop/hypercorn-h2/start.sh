#!/usr/bin/env bash
# The same hypercorn server as interop/hypercorn (its start.sh, its app), started on its own so
# that the HTTP/2 runs do not share one Python process with the HTTP/1.1 runs: their verdicts
# (S.2's answer time, 6.22's echo timers) must not depend on the other runs' load.
#   interop/hypercorn-h2/start.sh WORK PORT
set -euo pipefail
exec "$(cd "$(dirname "$0")/../hypercorn" && pwd)/start.sh" "$@"
