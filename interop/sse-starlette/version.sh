#!/usr/bin/env bash
# The versions started by start.sh WORK, one line.
set -euo pipefail
"$1/venv/bin/python" -c 'import importlib.metadata as m; print("sse-starlette %s, uvicorn %s (PyPI)" % (m.version("sse-starlette"), m.version("uvicorn")))'
