#!/usr/bin/env bash
cd "$1" && echo "ws $(node -p "require('ws/package.json').version") on Node $(node --version) (npm)"
