#!/usr/bin/env bash
# Install what is missing, build, and run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --tests
bash tools/build.sh --tests
ctest --test-dir build --output-on-failure -j "$(nproc)"
