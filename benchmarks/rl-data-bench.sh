#!/usr/bin/env bash
# lever generate rl: Lever's defaults vs one sequence at a time without caches, side by side (A B A B), on the
# 3B-shaped bench-vocab snapshot (random weights, real tokenizer). Results: benchmarks/results/rl-data.md.
# Usage: benchmarks/rl-data-bench.sh WORKDIR [QUERIES] [ROUNDS]   (build first: mvn -B -q package -DskipTests)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
lever="$root/bin/lever"
W="${1:?work dir}"; Q="${2:-8}"; ROUNDS="${3:-2}"; MAXLOAD="${MAXLOAD:-1.5}"
mkdir -p "$W" && cd "$W"

if [[ ! -f items2.jsonl ]]; then
  # 80 items with distinct 224x168 PNGs (48 LLM image tokens each), VQAv2-style questions, 10 human answers
  mkdir -p img
  python3 - "$root/benchmarks/python" <<'PY'
import struct, random, json, sys
sys.path.insert(0, sys.argv[1])
from bench_images import png
Q = ["What is on the plate?", "How many dogs are there?", "What color is the bus?", "Is the man wearing a hat?",
     "What is the woman holding?", "Where is the cat sitting?", "What sport is being played?", "Is it raining?",
     "What room is this?", "How many people are in the picture?", "What is the boy eating?", "What color is the car?"]
A = ["pizza", "2", "red", "yes", "umbrella", "on bed", "tennis", "no", "kitchen", "3", "sandwich", "blue"]
random.seed(3)
with open('items.jsonl', 'w') as f:
    for i in range(80):
        png(f'img/{i}.png', 224, 168, i); k = i % len(Q)
        f.write(json.dumps({"id": i, "image": f"img/{i}.png", "question": Q[k], "answers": [A[k]] * 6 + [A[(k + 1) % len(A)]] * 4}) + "\n")
vals = [random.gauss(0, 1) for _ in range(80 * 64)]
data = struct.pack('<%df' % len(vals), *vals)
h = json.dumps({"emb": {"dtype": "F32", "shape": [80, 64], "data_offsets": [0, len(data)]}}).encode()
h += b' ' * ((8 - len(h) % 8) % 8)
open('emb.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + data)
PY
  zcat "$root/src/test/resources/org/leverplus/vlm/qwen25-tokenizer.json.gz" > tokenizer.json
  "$lever" vlm make-tiny --preset bench-vocab --layout new --tokenizer tokenizer.json --out bv --overwrite
  # pilot: what the random model answers, so that the graded run has positives (human answers = its most common
  # non-blank answer 6x + the original 4x; the answer shown on ICDs stays the original's)
  "$lever" generate rl --items items.jsonl --pool full --queries 0:"$Q" --embeddings emb.safetensors --snapshot bv \
      --proposers retrieval,random --retrieval 10 --random 10 --out pilot.json --overwrite
  python3 - <<'PY'
import json, collections
preds = {}
for k, v in json.load(open('pilot.json')).items():
    if k == '_meta': continue
    c = collections.Counter(x['vqa_pred_answer'] for x in v['pointer_candidates'] if x['vqa_pred_answer'].strip())
    if c: preds[int(k)] = c.most_common(1)[0][0]
out = []
for line in open('items.jsonl'):
    o = json.loads(line); o['answer'] = collections.Counter(o['answers']).most_common(1)[0][0]
    if o['id'] in preds: o['answers'] = [preds[o['id']]] * 6 + o['answers'][:4]
    out.append(json.dumps(o, ensure_ascii=False))
open('items2.jsonl', 'w').write('\n'.join(out) + '\n')
PY
fi

common=(generate rl --items items2.jsonl --pool full --queries 0:"$Q" --embeddings emb.safetensors --snapshot bv
        --proposers retrieval,random --retrieval 10 --random 10 --seed 42 --overwrite)
fast=()                                                                   # Lever's defaults: --chunk 16, batch 64 rows / 16384 tokens, both caches
slow=(--chunk 1 --batch-size 1 --no-prefix-cache --no-image-cache)        # one sequence at a time, no caches
waitload() {
  while :; do
    l=$(cut -d' ' -f1 /proc/loadavg)
    awk -v l="$l" -v m="$MAXLOAD" 'BEGIN{exit !(l < m)}' && break
    echo "load $l >= $MAXLOAD, waiting" >&2; sleep 20
  done
}
for r in $(seq 1 "$ROUNDS"); do
  for side in fast slow; do
    waitload
    l0=$(cut -d' ' -f1-3 /proc/loadavg); d0=$(date -u +%H:%M:%S)
    if [[ $side == fast ]]; then extra=("${fast[@]}"); else extra=("${slow[@]}"); fi
    /usr/bin/time -v "$lever" "${common[@]}" "${extra[@]}" --out "$side-$r.json" > "$side-$r.out" 2> "$side-$r.err"
    l1=$(cut -d' ' -f1-3 /proc/loadavg)
    echo "round $r $side start $d0 load [$l0] end [$l1]: $(grep 'queries/s' "$side-$r.err" | tail -1)"
    grep -E 'engine:|Elapsed|Maximum resident|User time|System time' "$side-$r.err"
  done
done
# same candidates, same labels
python3 - "$ROUNDS" <<'PY'
import json, sys
n = int(sys.argv[1])
def load(f): return {k: v for k, v in json.load(open(f)).items() if k != '_meta'}
a = load('fast-1.json')
for f in [f'{s}-{r}.json' for s in ('fast', 'slow') for r in range(1, n + 1)][1:]:
    b = load(f); assert a.keys() == b.keys(), f
    cands = pos = 0; worst = 0.0
    for k in a:
        ca, cb = a[k]['pointer_candidates'], b[k]['pointer_candidates']; assert len(ca) == len(cb), (f, k)
        for x, y in zip(ca, cb):
            for fld in ('pointer', 'vqa_correct', 'vqa_acc_score', 'vqa_raw_generation', 'vqa_pred_answer'):
                assert x[fld] == y[fld], (f, k, fld, x[fld], y[fld])
            worst = max(worst, abs(x['vqa_gt_prob'] - y['vqa_gt_prob']) / max(abs(x['vqa_gt_prob']), 1e-30))
            cands += 1; pos += x['vqa_correct']
    print(f'fast-1 vs {f}: {len(a)} queries, {cands} candidates ({pos} positive): pointer, vqa_correct, vqa_acc_score, '
          f'raw generation, answer equal; vqa_gt_prob max relative difference {worst:.2e}')
PY
