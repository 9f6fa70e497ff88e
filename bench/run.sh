#!/usr/bin/env bash
# Benchmark (not a test): verify-pattern against a straightforward SciPy baseline, side by side in
# the same run, on BigBird and Longformer. Writes bench/out/verify.md; copy the table into
# docs/performance.md with the machine noted.
#
#   bash bench/run.sh [SIZES...]       default sizes: 4096 16384 65536 262144
# The baseline runs only where its dense-ish products fit (n <= BASELINE_MAX_N, default 16384: at
# n = 65536 the complete S alone is 4.3e9 stored entries, about 21 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh --bench >/dev/null
bash tools/build.sh >/dev/null

sizes=("$@")
((${#sizes[@]})) || sizes=(4096 16384 65536 262144)
baseline_max=${BASELINE_MAX_N:-16384}
out=bench/out
mkdir -p "$out"
report=$out/verify.md

measure() {  # measure LOGFILE CMD...: prints "wall_seconds peak_kib"
  local log=$1; shift
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" >"$log" 2>"$log.err" || true
  cat "$log.time"
}

{
  echo "# verify-pattern benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "- sparsecert: $(git rev-parse --short HEAD 2>/dev/null || echo unknown), Release build (-O2), OpenMP on all cores"
  echo "- baseline: bench/baseline_verify.py, /usr/bin/python3 $(/usr/bin/python3 -c 'import sys;print(sys.version.split()[0])'), SciPy $(/usr/bin/python3 -c 'import scipy;print(scipy.__version__)'), one core"
  echo
  echo "| pattern | n | sparsecert wall (s) | sparsecert peak (MiB) | s | baseline compute (s) | baseline wall (s) | baseline peak (MiB) | ratio (wall) |"
  echo "|---|---|---|---|---|---|---|---|---|"
} >"$report"

for pattern in bigbird longformer; do
  for n in "${sizes[@]}"; do
    file=bench/patterns/$pattern.json
    read -r wall kib < <(measure "$out/$pattern-$n.json" build/bin/verify-pattern --json --n "$n" "$file")
    s=$(/usr/bin/python3 -c "import json;print(json.load(open('$out/$pattern-$n.json'))['results'][0]['reachability']['s'])" 2>/dev/null || echo "?")
    bwall="-"; bkib="-"; bcomp="-"; ratio="-"
    if ((n <= baseline_max)); then
      build/bin/export-pattern --n "$n" "$file" >"$out/$pattern-$n.explicit.json"
      read -r bwall bkib < <(measure "$out/$pattern-$n.baseline" /usr/bin/python3 bench/baseline_verify.py "$out/$pattern-$n.explicit.json")
      bcomp=$(/usr/bin/python3 -c "import json;print(json.load(open('$out/$pattern-$n.baseline'))['seconds'])" 2>/dev/null || echo "?")
      bs=$(/usr/bin/python3 -c "import json;print(json.load(open('$out/$pattern-$n.baseline'))['s'])" 2>/dev/null || echo "?")
      [[ "$bs" == "$s" ]] || echo "WARNING: baseline s=$bs differs from sparsecert s=$s at $pattern n=$n" >&2
      ratio=$(awk -v a="$bwall" -v b="$wall" 'BEGIN{printf "%.0fx", a/(b>0.005?b:0.005)}')
      bkib=$((bkib / 1024))
      rm -f "$out/$pattern-$n.explicit.json"
    fi
    echo "| $pattern | $n | $wall | $((kib / 1024)) | $s | $bcomp | $bwall | $bkib | $ratio |" >>"$report"
    echo "$pattern n=$n: sparsecert ${wall}s, baseline ${bwall}s" >&2
  done
done
cat "$report"
