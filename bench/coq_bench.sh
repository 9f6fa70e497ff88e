#!/usr/bin/env bash
# Benchmark (not a test): the Coq check (docs/trust.md, "The Coq check") on every catalogue pattern
# at several sizes: verify-pattern --certificate, check-certificate --coq, then coqc on the file,
# with the C++ check-certificate on the same certificate, side by side in the same run, as the
# baseline. Writes bench/out/coq.md; copy the table into docs/performance.md ("## The Coq check").
#
#   bash bench/coq_bench.sh [SIZES...]       default sizes: 256 1024 4096
# COQ_TIMEOUT (seconds, default 1800) stops a coqc run that takes longer (reported as "> limit").
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --bench >/dev/null
bash tools/build.sh >/dev/null
# A copy of the Coq library of its own, so that rebuilding build/coq meanwhile changes nothing here.
bash tools/coq-build.sh bench/out/coq-lib >/dev/null

sizes=("$@")
((${#sizes[@]})) || sizes=(256 1024 4096)
limit=${COQ_TIMEOUT:-1800}
out=bench/out
work=$out/coq
mkdir -p "$work"
report=$out/coq.md

measure() {  # measure LOG CMD...: prints "wall_seconds peak_kib exit_status"
  local log=$1; shift
  local status=0
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" >"$log" 2>&1 || status=$?
  echo "$(tail -1 "$log.time") $status"
}

{
  echo "# Coq check benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "- sparsecert: $(git rev-parse --short HEAD 2>/dev/null || echo unknown); $(coqc --version | head -1); one coqc at a time"
  echo "- baseline: build/bin/check-certificate (C++) on the same certificate"
  echo
  echo "| pattern | n | verdict | .v file (KiB) | coqc wall (s) | coqc peak (MiB) | check-certificate wall (s) | ratio |"
  echo "|---|---|---|---|---|---|---|---|"
} >"$report"

for n in "${sizes[@]}"; do
  for file in patterns/*.json; do
    stem=$(basename "$file" .json)
    module=c_${stem//-/_}_$n
    cert=$work/$stem-$n.cert.json
    build/bin/verify-pattern --n "$n" --certificate "$cert" "$file" >/dev/null 2>&1 || true
    [[ -f "$cert" ]] || continue
    verdict=$(/usr/bin/python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['verdict'])" "$cert")
    build/bin/check-certificate --n "$n" --coq "$work/$module.v" "$file" "$cert" >/dev/null
    kib=$(( $(stat -c %s "$work/$module.v") / 1024 ))
    read -r cw cm cs < <(cd "$work" && measure "$module.log" timeout "$limit" coqc -Q ../coq-lib Sparsecert "$module.v")
    read -r bw _ bs < <(measure "$work/$stem-$n.check" build/bin/check-certificate --n "$n" "$file" "$cert")
    if [[ "$cs" == 124 ]]; then cw="> $limit"; fi
    if [[ "$cs" != 0 && "$cs" != 124 ]]; then cw="$cw (coqc failed: $(grep -m1 -A2 Error "$work/$module.log" | tr '\n' ' '))"; fi
    ratio=$(/usr/bin/python3 -c "import sys; a,b=sys.argv[1:]; print(f'{float(a)/max(float(b),0.01):.0f}')" "${cw%% *}" "$bw" 2>/dev/null || echo -)
    echo "| $stem | $n | $verdict | $kib | $cw | $((cm / 1024)) | $bw | $ratio |" >>"$report"
    echo "$stem n=$n: coqc $cw s, check-certificate $bw s" >&2
  done
done
echo "wrote $report" >&2
