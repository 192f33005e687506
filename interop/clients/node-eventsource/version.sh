#!/usr/bin/env bash
cd "$1" && echo "eventsource $(node -p "require('eventsource/package.json').version") on Node $(node --version) (npm)"
