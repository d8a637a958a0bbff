#!/usr/bin/env bash
# The Spark runner's overhead and scaling (issue goals: < 10 % overhead at 1,000 queries, near 2x with 2 executors):
# `vlm generate` (3 beams, 5 new tokens) over 1,000 VQA prompts with ICDS demonstrations each (default 0: zero-shot) on the 3B-shaped bench-vocab snapshot
# (random weights, Qwen's real tokenizer, 224x168 images), through SparkScalingBench: one machine in-process, Spark
# local[1] in the same JVM, local-cluster with 1 and 2 executor JVMs, ROUNDS rounds in turn, outputs byte-compared.
# Usage: benchmarks/spark-bench.sh WORKDIR [REQUESTS=1000] [ROUNDS=2] [CHUNK=64] [ICDS=0] [all|overhead]
# (overhead: only the one-machine and local[1] runs, alternating)
# Build first: mvn -B -q install -DskipTests (core) and mvn -B -q -f spark/pom.xml test-compile.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
W="$(mkdir -p "$1" && cd "$1" && pwd)"; N="${2:-1000}"; ROUNDS="${3:-2}"; CHUNK="${4:-64}"; ICDS="${5:-0}"; WHAT="${6:-all}"
cd "$W"
if [[ ! -d bv ]]; then
  zcat "$root/src/test/resources/org/leverplus/vlm/qwen25-tokenizer.json.gz" > tokenizer.json
  "$root/bin/lever" vlm make-tiny --preset bench-vocab --layout new --tokenizer tokenizer.json --out bv --overwrite
fi
python3 - "$N" "$ICDS" "$root/benchmarks/python" <<'PY'
import random, json, os, sys
sys.path.insert(0, sys.argv[3])
from bench_images import png
n, k = int(sys.argv[1]), int(sys.argv[2])
Q = ["What is on the plate?", "How many dogs are there?", "What color is the bus?", "Is the man wearing a hat?",
     "What is the woman holding?", "Where is the cat sitting?", "What sport is being played?", "Is it raining?"]
A = ["pizza", "2", "red", "yes", "umbrella", "on bed", "tennis", "no"]
os.makedirs('img', exist_ok=True)
for i in range(80):
    if not os.path.exists(f'img/{i}.png'): png(f'img/{i}.png', 224, 168, i)
rnd = random.Random(5)
with open('requests.jsonl', 'w') as f:
    for i in range(n):
        q, ds = rnd.randrange(80), [rnd.randrange(80) for _ in range(k)]
        f.write(json.dumps({"id": f"r{i}", "icds": [{"image": f"img/{d}.png", "question": Q[d % 8], "answer": A[d % 8]} for d in ds],
                            "query": {"image": f"img/{q}.png", "question": Q[q % 8]}}) + "\n")
PY
cd "$root/spark"
# the environment bin/lever sets, for the driver JVM (the harness gives the executors the same)
export OMP_NUM_THREADS=1 MALLOC_ARENA_MAX=1 MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=268435456 SPARK_TESTING=1 SPARK_SCALA_VERSION=2.13
echo "start $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
mvn -q exec:exec -Dexec.executable=java -Dexec.classpathScope=test \
  "-Dexec.args=-Xmx6g --enable-native-access=ALL-UNNAMED --add-opens=java.base/java.lang=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.lang.reflect=ALL-UNNAMED --add-opens=java.base/java.io=ALL-UNNAMED --add-opens=java.base/java.net=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED --add-opens=java.base/java.util.concurrent=ALL-UNNAMED --add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/sun.nio.cs=ALL-UNNAMED --add-opens=java.base/sun.security.action=ALL-UNNAMED --add-opens=java.base/sun.util.calendar=ALL-UNNAMED -Djdk.reflect.useDirectMethodHandle=false -Dio.netty.tryReflectionSetAccessible=true -cp %classpath org.leverplus.spark.SparkScalingBench $W/bv $W/requests.jsonl $W/out $CHUNK $ROUNDS generate $WHAT"
echo "end $(date -u +%FT%TZ) load $(cut -d' ' -f1-3 /proc/loadavg)"
