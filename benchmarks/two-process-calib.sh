#!/usr/bin/env bash
# This machine's own 2-process scaling, the ceiling for Spark's 1-vs-2-executor comparison (benchmarks/RESULTS.md,
# "Spark runner"): one bin/lever process over a request file vs two processes over its first 512 and the remaining
# lines at once (chunk-aligned, so the halves are byte-identical to the whole run; checked).
# Usage: benchmarks/two-process-calib.sh WORKDIR [generate|score] [REQUESTS_FILE=WORKDIR/requests.jsonl] [ROUNDS=2]
# WORKDIR is the one benchmarks/spark-bench.sh prepared (snapshot bv, images, requests.jsonl).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="$1"; MODE="${2:-generate}"; REQ="${3:-$W/requests.jsonl}"; ROUNDS="${4:-2}"
cd "$W"
head -512 "$REQ" > calib-h1.jsonl; tail -n +513 "$REQ" > calib-h2.jsonl
L="$root/bin/lever"
for r in $(seq 1 "$ROUNDS"); do
  t0=$(date +%s.%N)
  "$L" vlm "$MODE" --snapshot bv --requests "$REQ" --out calib-all.jsonl --chunk 64 --overwrite > /dev/null 2>&1
  t1=$(date +%s.%N)
  "$L" vlm "$MODE" --snapshot bv --requests calib-h1.jsonl --out calib-o1.jsonl --chunk 64 --overwrite > /dev/null 2>&1 &
  p=$!
  "$L" vlm "$MODE" --snapshot bv --requests calib-h2.jsonl --out calib-o2.jsonl --chunk 64 --overwrite > /dev/null 2>&1
  wait $p
  t2=$(date +%s.%N)
  python3 -c "import sys; a=float(sys.argv[2])-float(sys.argv[1]); b=float(sys.argv[3])-float(sys.argv[2]); print(f'round $r: one process {a:.2f} s; two processes at once {b:.2f} s; ratio {a/b:.2f}x')" "$t0" "$t1" "$t2"
  cat calib-o1.jsonl calib-o2.jsonl | cmp - calib-all.jsonl && echo "halves = one run, byte for byte"
done
