#!/usr/bin/env bash
echo "websockets $("$1/venv/bin/python" -c 'import websockets; print(websockets.__version__)') on $("$1/venv/bin/python" --version) (PyPI)"
