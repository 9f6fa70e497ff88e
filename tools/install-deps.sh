#!/usr/bin/env bash
# Installs the Debian 12 packages sparsecert needs, only those missing (idempotent).
# Works as root, or as a user with sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libboost-graph-dev libgmp-dev libmpfr-dev libz3-dev z3
  libfmt-dev nlohmann-json3-dev libcli11-dev
  cvc5 python3
)
# Extra packages for the test run (tools/test.sh passes --tests): Catch2 for the tests; chromium
# renders report.html headless in tests/test_report.cpp; coq (8.16, its standard library only) builds
# theorems/coq/ and checks the Coq form of certificates (tests/test_coq.cpp); clang with its sanitizer
# and libFuzzer runtimes and its OpenMP for the sanitized build and the fuzzers (docs/reliability.md).
if [[ "${1:-}" == "--tests" ]]; then
  packages+=(catch2 python3-jsonschema chromium coq clang libclang-rt-14-dev libomp-14-dev)
fi
# Extra packages for the benchmarks (bench/run.sh passes --bench).
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-scipy python3-numpy python3-networkx time)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

if [[ $(id -u) -eq 0 ]]; then
  SUDO=()
elif command -v sudo >/dev/null; then
  SUDO=(sudo)
else
  echo "install-deps: need root or sudo to install: ${missing[*]}" >&2
  exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
