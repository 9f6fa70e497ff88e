#!/usr/bin/env bash
# Benchmark (not a test): `sparsecert approximate` on the configurations of the construct benchmark,
#   n = 3, d = 2, delta = 1/4 and n = 6, d = 1, delta = 1/4 (4^6 = 4,096 grid inputs each),
# Star-Transformer and strided patterns, target sin, 1,000 Monte Carlo samples, with --timing: the
# evaluation throughput (network evaluations per second, one thread) of g in MPFR at the planned
# precision (indexed value mapping, and every layer on every column as the baseline), of g in
# binary64 (wrong, for scale) and of g_bar in exact integer arithmetic; plus the whole command's wall
# time and peak memory. Writes bench/out/approximate.md; copy the table into docs/performance.md
# ("## approximate").
#
#   bash bench/approximate_bench.sh [PATTERN...]     default patterns: star strided
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
samples=${SAMPLES:-1000}
out=bench/out
mkdir -p "$out"
report=$out/approximate.md

measure() {  # measure LOG CMD...: runs CMD, prints "wall_seconds peak_kib exit_status"
  local log=$1; shift
  local status=0
  /usr/bin/time -f "%e %M" -o "$log.time" "$@" >"$log" 2>"$log.err" || status=$?
  echo "$(tail -1 "$log.time") $status"
}

field() {  # field FILE PYTHON-EXPRESSION-ON-j
  /usr/bin/python3 -c "import json,sys; j=json.load(open(sys.argv[1])); print($2)" "$1" 2>/dev/null || echo "?"
}

{
  echo "# approximate benchmark"
  echo
  echo "- date: $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "- machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(free -g | awk '/Mem:/{print $2}') GiB"
  echo "- sparsecert: $(git rev-parse --short HEAD 2>/dev/null || echo unknown), Release build (-O2), OpenMP on all cores for the command, one thread for the throughput"
  echo "- target: $target; $samples Monte Carlo samples; every grid input for the margins and the grid figures"
  echo
  echo "| pattern | n | d | delta | layers | attention layers | t (min..max) | precision (bits) | g MPFR indexed (eval/s) | g MPFR plain (eval/s) | g binary64 (eval/s) | g_bar exact (eval/s) | d_q(f, g) [95% CI] | eps | d_q(g_bar, g) | within eps | wall (s) | peak (MiB) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
} >"$report"

for pattern in "${patterns[@]}"; do
  file=patterns/$pattern.json
  for config in "3 2 4" "6 1 4"; do
    read -r n d m <<<"$config"
    tag=$out/approximate-$pattern-n$n-d$d-m$m
    read -r wall kib status < <(measure "$tag.json" "$bin" approximate "$file" --n "$n" --d "$d" --delta "1/$m" \
      --target "$target" --samples "$samples" --timing --json)
    layers=$(field "$tag.json" "j['network']['g_bar_layers']")
    att=$(field "$tag.json" "j['network']['attention_layers']")
    trange=$(field "$tag.json" "'%.3g..%.4g' % (min(j['temperatures']), max(j['temperatures']))")
    bits=$(field "$tag.json" "j['precision_bits']")
    rates=$(field "$tag.json" "' | '.join('%.4g' % j['timing']['evaluations_per_second'][k] for k in ('g_mpfr_indexed', 'g_mpfr_plain', 'g_binary64', 'g_bar_exact'))")
    fg=$(field "$tag.json" "'%.4g [%.4g, %.4g]' % (j['errors']['f_g']['estimate'], j['errors']['f_g']['ci_low'], j['errors']['f_g']['ci_high'])")
    eps=$(field "$tag.json" "'%.4g' % j['eps']")
    gg=$(field "$tag.json" "'%.3g' % j['errors']['gbar_g']['estimate']")
    ok=$(field "$tag.json" "'yes' if j['within_eps'] else 'NO'")
    echo "| $pattern | $n | $d | 1/$m | $layers | $att | $trange | $bits | $rates | $fg | $eps | $gg | $ok | $wall | $((kib / 1024)) |" >>"$report"
    echo "$pattern n=$n d=$d: ${wall}s (exit $status)" >&2
  done
done
cat "$report"
