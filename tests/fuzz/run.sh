#!/usr/bin/env bash
# Runs one libFuzzer harness as a test: run.sh FUZZER WORKDIR [libFuzzer options] -- SEED_DIR...
# New inputs go to WORKDIR/corpus (emptied first, so every run starts from the same seeds and, with
# the fixed -seed, does the same executions); a crash, leak, timeout or out-of-memory input is
# written to WORKDIR/ and fails the test.
set -euo pipefail
fuzzer=$1 work=$2
shift 2
options=()
while (($#)) && [[ $1 != -- ]]; do options+=("$1"); shift; done
shift || true
rm -rf "$work"
mkdir -p "$work/corpus"
exec "$fuzzer" -seed=1 -max_len=65536 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
  -artifact_prefix="$work/" "${options[@]}" "$work/corpus" "$@"
