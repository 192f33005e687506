#!/usr/bin/env bash
# Headless Chromium's own EventSource, running the adapter page the fuzzing server serves
# ({url}/adapter.html). Debian: apt-get install chromium.
set -euo pipefail
command -v chromium >/dev/null || { echo "chromium is not installed (apt-get install chromium)" >&2; exit 2; }
