#!/usr/bin/env bash
# The versions started by start.sh WORK, one line.
set -euo pipefail
"$1/venv/bin/python" -c 'import importlib.metadata as m, platform; print("websockets %s on CPython %s (PyPI)" % (m.version("websockets"), platform.python_version()))'
