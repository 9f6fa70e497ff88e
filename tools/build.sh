#!/usr/bin/env bash
# Configures and builds sparsecert into build/ (executables in build/bin/). With --tests also the
# Catch2 tests (tools/test.sh); without, the library and the programs only (tools/main.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
tests=OFF
if [[ "${1:-}" == "--tests" ]]; then
  tests=ON
  shift
fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DSPARSECERT_BUILD_TESTS=$tests >/dev/null
cmake --build build -j "$(nproc)" "$@"
