#!/usr/bin/env bash
# Install what is missing, build, and run every test; then the fast part of the suite and the
# fuzzers, for a fixed number of executions each, in a clang build with AddressSanitizer and
# UndefinedBehaviorSanitizer (CMakePresets.json "sanitize", docs/reliability.md).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --tests
bash tools/build.sh --tests
ctest --test-dir build --output-on-failure -j "$(nproc)"
cmake --preset sanitize >/dev/null
cmake --build build-sanitize -j "$(nproc)"
ctest --test-dir build-sanitize --output-on-failure -j "$(nproc)"
