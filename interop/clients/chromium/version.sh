#!/usr/bin/env bash
chromium --version 2>/dev/null | head -1
