#!/usr/bin/env bash
# The versions started by start.sh WORK, one line.
set -euo pipefail
"$1/venv/bin/python" -c 'import importlib.metadata as m, platform; print("hypercorn %s (h2 %s, wsproto %s) on CPython %s (PyPI)" % (m.version("hypercorn"), m.version("h2"), m.version("wsproto"), platform.python_version()))'
