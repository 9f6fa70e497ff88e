#!/usr/bin/env bash
# Benchmark (not a test): `sparsecert construct` on two configurations of 4,096 grid inputs each,
#   n = 3, d = 2, delta = 1/4 (4^6 = 4,096 grid inputs) and n = 6, d = 1, delta = 1/4 (4,096 inputs),
# each with the indexed evaluator (the default) and, side by side in the same run, the plain
# layer-by-layer evaluator as the baseline; plus a per-input comparison of the three evaluators
# (rational mpq, plain mpz, indexed mpz) on the first 16 grid inputs (--compare-evaluators), which is
# the measurement behind the number representation. Every run checks every property exhaustively.
# Writes bench/out/construct.md; copy the table into docs/performance.md ("## construct").
#
#   bash bench/construct_bench.sh [PATTERN...]     default patterns: star strided
# SPARSECERT_BIN overrides the executable (default build/bin/sparsecert, built when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${SPARSECERT_BIN:-build/bin/sparsecert}
if [[ ! -x "$bin" ]]; then
  bash tools/build.sh >/dev/null
fi

patterns=("$@")
((${#patterns[@]})) || patterns=(star strided)
target=${TARGET:-sin}
out=bench/out
mkdir -p "$out"
report=$out/construct.md

measure() {  # measure LOG CMD...: runs CMD, prints "wall_seconds peak_kib exit_status"
  local log=$1; shift
  local status=0
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" >"$log" 2>"$log.err" || status=$?
  echo "$(cat "$log.time" | tail -1) $status"
}

field() {  # field FILE PYTHON-EXPRESSION-ON-j
  /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo "?"
}

{
  echo "# construct benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "- sparsecert: $(git rev-parse --short HEAD 2>/dev/null || echo unknown), Release build (-O2), OpenMP on all cores"
  echo "- target: $target; every check exhaustive (all grid inputs, all inputs carrying the sentinel)"
  echo "- wall: the whole command (construction and every check), /usr/bin/time; per input: one thread, first 16 grid inputs"
  echo
  echo "| pattern | n | d | delta | grid inputs | layers | s | all checks | indexed wall (s) | indexed peak (MiB) | plain wall (s) | plain / indexed | per input: rational (ms) | plain (ms) | indexed (ms) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$report"

for pattern in "${patterns[@]}"; do
  file=patterns/$pattern.json
  for config in "3 2 4" "6 1 4"; do
    read -r n d m <<<"$config"
    args=("$file" --n "$n" --d "$d" --delta "1/$m" --target "$target" --json)
    tag=$out/construct-$pattern-n$n-d$d-m$m
    read -r iwall ikib istatus < <(measure "$tag.indexed.json" "$bin" construct "${args[@]}" --evaluator indexed)
    read -r pwall pkib pstatus < <(measure "$tag.plain.json" "$bin" construct "${args[@]}" --evaluator plain)
    measure "$tag.compare.json" "$bin" construct "${args[@]}" --compare-evaluators 16 >/dev/null
    inputs=$(field "$tag.indexed.json" "j['checks']['contextual_mapping']['inputs_checked']")
    layers=$(field "$tag.indexed.json" "j['stages']['total']")
    s=$(field "$tag.indexed.json" "j['s']['all_max']")
    holds=$(field "$tag.indexed.json" "'yes' if j['holds'] else 'NO'")
    plain_holds=$(field "$tag.plain.json" "'yes' if j['holds'] else 'NO'")
    [[ "$holds" == "$plain_holds" ]] || echo "WARNING: indexed and plain runs disagree on $pattern n=$n d=$d" >&2
    cmp -s <(field "$tag.indexed.json" "json.dumps({k: v for k, v in j['checks'].items() if k != 'matches_target'}, sort_keys=True)") \
           <(field "$tag.plain.json" "json.dumps({k: v for k, v in j['checks'].items() if k != 'matches_target'}, sort_keys=True)") ||
      echo "WARNING: indexed and plain checks differ on $pattern n=$n d=$d" >&2
    per=$(field "$tag.compare.json" "' | '.join('%.3f' % (1000 * j['evaluators']['seconds'][e] / j['evaluators']['inputs']) for e in ('rational', 'plain', 'indexed')) + ('' if j['evaluators']['agree'] else ' (DIFFER)')")
    ratio=$(awk -v a="$pwall" -v b="$iwall" 'BEGIN{printf "%.1fx", a/(b>0.005?b:0.005)}')
    echo "| $pattern | $n | $d | 1/$m | $inputs | $layers | $s | $holds | $iwall | $((ikib / 1024)) | $pwall | $ratio | $per |" >>"$report"
    echo "$pattern n=$n d=$d: indexed ${iwall}s (exit $istatus), plain ${pwall}s (exit $pstatus)" >&2
  done
done
cat "$report"
