#!/usr/bin/env bash
echo "aiohttp $("$1/venv/bin/python" -c 'import aiohttp; print(aiohttp.__version__)') on $("$1/venv/bin/python" --version) (PyPI)"
