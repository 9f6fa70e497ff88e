#!/usr/bin/env bash
# Builds the Coq development theorems/coq/ into DEST (a copy, so that the source tree stays clean):
# coq_makefile from its _CoqProject, then make. Used by the test `coq_development` (CMakeLists.txt).
set -euo pipefail
src="$(cd "$(dirname "$0")/../theorems/coq" && pwd)"
dest="$1"
mkdir -p "$dest"
# Copy only what changed (cp -p keeps the times, so make rebuilds only what changed).
for f in "$src"/_CoqProject "$src"/*.v; do
  if ! cmp -s "$f" "$dest/$(basename "$f")"; then cp -p "$f" "$dest/"; fi
done
# Files removed from the source go from the copy too.
for f in "$dest"/*.v; do
  [[ -e "$src/$(basename "$f")" ]] || rm -f "$f" "${f%.v}".vo* "${f%.v}".glob
done
cd "$dest"
coq_makefile -f _CoqProject -o CoqMakefile >/dev/null
make -s -f CoqMakefile -j "${SPARSECERT_COQ_JOBS:-2}"
