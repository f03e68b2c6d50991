#!/usr/bin/env bash
# Installs this SDK's pinned tools from package-lock.json unless node_modules already matches it.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
