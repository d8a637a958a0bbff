#!/usr/bin/env bash
# Lever's GPU check: one command that proves the CUDA path on a machine with an NVIDIA GPU, and writes one report.
#
#   tools/gpu-check.sh --out DIR [--work DIR] [--dry-run] [--no-build] [--native-build DIR] [--skip-java] [--quick]
#
# DIR gets report.md, report.json, steps.jsonl, env.json and logs.tgz; builds and intermediate files go to --work
# (default DIR/work). LEVER_PYTHON selects the python3 (default: the first on PATH).
# Steps (each recorded as pass / fail / skip-with-reason in DIR/report.md and DIR/report.json):
#   env          GPU, driver, nvcc, java, python torch/transformers versions            (DIR/env.json)
#   native       CMake build of native/ (CUDA library when nvcc exists), ctest: CPU self-check, CUDA vs CPU kernels
#   kernels      CUDA kernels vs the PyTorch composite through the C ABI (python3 + torch): answer log-probs at
#                T=64, D=2048, V=151,936 in f32 and bf16, pointer step fwd+bwd; median time and peak memory
#   transformers the tiny Qwen2.5-VL fixtures through transformers' Qwen2_5_VLForConditionalGeneration (eager,
#                float32): position ids, answer log-probs, greedy and beam tokens against the engine's goldens
#   java-build   mvn -Pgpu package (LibTorch CUDA natives)                                 (needs mvn, not --no-build)
#   java-gpu-tests  KernelsCudaTest, CudaSelectorTest under -Pgpu
#   engine       `lever vlm score/generate` on the 3B-shaped bench snapshot: GPU f32 vs CPU f32 (1e-4), GPU bf16
#                vs CPU f32 (mean log-prob within 5 %, the engine guide's bound), greedy/beam tokens equal,
#                prompts/s with caches on and off
#   train        one RCE epoch on the GPU vs the CPU (dropout off): per-epoch losses within 1e-4
# Exit status: 0 when no step failed (skips are fine), 1 when any step failed, 2 for a bad command line.
#
# --dry-run runs everything on the CPU (both sides of every comparison), for CI and for trying the script on a
# machine without a GPU. Nothing here touches the network. Steps whose tools are missing are skipped, with why.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="" work="" dry=0 build=1 native_build="" skip_java=0 quick=0
usage() { sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2; }
while [[ $# -gt 0 ]]; do
  case "$1" in
    --out) out="${2:-}"; shift 2 ;;
    --work) work="${2:-}"; shift 2 ;;
    --dry-run) dry=1; shift ;;
    --no-build) build=0; shift ;;
    --native-build) native_build="${2:-}"; shift 2 ;;
    --skip-java) skip_java=1; shift ;;
    --quick) quick=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "gpu-check: unknown argument '$1'" >&2; usage; exit 2 ;;
  esac
done
[[ -n "$out" ]] || { echo "gpu-check: --out DIR is required" >&2; usage; exit 2; }
mkdir -p "$out" || { echo "gpu-check: cannot create output folder $out" >&2; exit 2; }
out="$(cd "$out" && pwd)"
rm -f "$out/steps.jsonl" "$out/report.json" "$out/report.md"
work="${work:-$out/work}"; mkdir -p "$work" || { echo "gpu-check: cannot create work folder $work" >&2; exit 2; }
work="$(cd "$work" && pwd)"
py="${LEVER_PYTHON:-$(command -v python3 || true)}"
[[ -n "$py" ]] || { echo "gpu-check: python3 is required for the report" >&2; exit 2; }
R() { "$py" "$root/tools/gpu/report.py" "$@"; }
step() { R step "$out" "$@"; }
now() { date +%s.%N; }
since() { "$py" -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$1" "$(now)"; }
log() { echo "== $*" >&2; }

# ---- env ---------------------------------------------------------------------------------------------------
has_gpu=0
if [[ $dry -eq 0 ]] && command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1; then has_gpu=1; fi
pytorch_ver="$("$py" -c 'import torch; print(torch.__version__)' 2>/dev/null || echo none)"
tf_ver="$("$py" -c 'import transformers; print(transformers.__version__)' 2>/dev/null || echo none)"
"$py" - "$out/env.json" "$dry" "$has_gpu" "$pytorch_ver" "$tf_ver" <<'EOF'
import json, os, platform, shutil, subprocess, sys, time
def run(cmd):
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=60).stdout.strip()
    except Exception:
        return ""
env = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "host": platform.node(),
       "cpu_count": os.cpu_count(), "mode": "dry-run (CPU only)" if sys.argv[2] == "1" else "gpu",
       "torch": sys.argv[4], "transformers": sys.argv[5]}
if sys.argv[3] == "1":
    q = run(["nvidia-smi", "--query-gpu=name,memory.total,driver_version", "--format=csv,noheader"]).splitlines()
    if q:
        parts = [p.strip() for p in q[0].split(",")]
        env["gpu"], env["gpu_memory"], env["driver"] = parts[0], parts[1], parts[2]
if shutil.which("nvcc"):
    env["nvcc"] = run(["nvcc", "--version"]).splitlines()[-1] if run(["nvcc", "--version"]) else "?"
if shutil.which("java"):
    r = subprocess.run(["java", "-version"], capture_output=True, text=True)
    env["java"] = (r.stderr or r.stdout).splitlines()[0] if (r.stderr or r.stdout) else "?"
json.dump(env, open(sys.argv[1], "w"), indent=1)
print(json.dumps(env))
EOF
if [[ $dry -eq 0 && $has_gpu -eq 0 ]]; then
  step env fail "no NVIDIA GPU visible (nvidia-smi -L failed); use --dry-run on machines without one"
else
  step env pass "$( [[ $dry -eq 1 ]] && echo 'dry run: every comparison on the CPU' || nvidia-smi -L | head -n 1)"
fi
dev=cuda; [[ $dry -eq 1 ]] && dev=cpu

# ---- native build + ctest ----------------------------------------------------------------------------------
t0=$(now)
nb="${native_build:-$work/native-build}"
if [[ -n "$native_build" && -f "$native_build/libleverkernels.so" ]]; then
  log "native: using the build in $native_build"
  native_ok=1
elif command -v cmake >/dev/null 2>&1; then
  log "native: cmake build into $nb"
  cuda_flag=AUTO; [[ $dry -eq 1 ]] && cuda_flag=OFF
  if cmake -S "$root/native" -B "$nb" -DLEVER_CUDA=$cuda_flag -DCMAKE_BUILD_TYPE=Release >"$work/native-configure.log" 2>&1 &&
     cmake --build "$nb" -j"$(nproc 2>/dev/null || echo 2)" >"$work/native-build.log" 2>&1; then
    native_ok=1
  else
    native_ok=0
    step native fail "native build failed: $(tail -n 3 "$work"/native-*.log | tr '\n' ' ' | cut -c1-300)" --seconds "$(since "$t0")"
  fi
else
  native_ok=0
  step native skip "cmake not found: native kernels not built"
fi
if [[ $native_ok -eq 1 ]]; then
  if [[ $has_gpu -eq 1 && ! -f "$nb/libleverkernels_cuda.so" ]]; then
    step native fail "a GPU is present but libleverkernels_cuda.so was not built (nvcc missing?)" --seconds "$(since "$t0")"
  elif (cd "$nb" && LEVER_CUDA_LIB="$nb/libleverkernels_cuda.so" ctest --output-on-failure >"$work/ctest.log" 2>&1); then
    step native pass "$(grep -E 'tests passed|Not Run|Skipped' "$work/ctest.log" | tr '\n' ' ' | cut -c1-200)" --seconds "$(since "$t0")"
  else
    step native fail "ctest: $(grep -E 'FAIL|Failed|tests passed' "$work/ctest.log" | tr '\n' ' ' | cut -c1-300)" --seconds "$(since "$t0")"
  fi
fi
if [[ $native_ok -eq 1 && $has_gpu -eq 1 && -x "$nb/cuda_vs_cpu" ]]; then
  t0=$(now)
  if ! command -v compute-sanitizer >/dev/null 2>&1; then
    step sanitizer skip "compute-sanitizer not found"
  elif compute-sanitizer --tool memcheck --error-exitcode 9 "$nb/cuda_vs_cpu" "$nb/libleverkernels_cuda.so" >"$work/sanitizer.log" 2>&1; then
    step sanitizer pass "memcheck: $(grep -m1 'ERROR SUMMARY' "$work/sanitizer.log")" --seconds "$(since "$t0")"
  elif grep -q 'ERROR SUMMARY: 0 errors' "$work/sanitizer.log"; then
    # memcheck found nothing; the program's own non-zero exit is a numerical mismatch, which the native step judges
    step sanitizer pass "memcheck: 0 errors (the kernels' numerical result is the native step's verdict)" --seconds "$(since "$t0")"
  elif grep -q 'not supported\|Device not supported' "$work/sanitizer.log"; then
    step sanitizer skip "compute-sanitizer cannot use this device: $(grep -m1 -i 'not supported' "$work/sanitizer.log" | cut -c1-150)"
  else
    step sanitizer fail "memcheck: $(grep -m2 -E 'ERROR|Invalid' "$work/sanitizer.log" | tr '\n' ' ' | cut -c1-300)" --seconds "$(since "$t0")"
  fi
fi

# ---- kernels vs the PyTorch composite ----------------------------------------------------------------------
t0=$(now)
if [[ "$pytorch_ver" == none ]]; then
  step kernels skip "python3 has no torch: the composite comparison needs it"
elif [[ $native_ok -ne 1 ]]; then
  step kernels skip "no native build"
else
  kargs=(--lib "$nb" --out "$work/kernels.json" --device "$dev")
  [[ $dry -eq 1 || $quick -eq 1 ]] && kargs+=(--V 8192 --iters 3)
  if "$py" "$root/tools/gpu/kernels_vs_torch.py" "${kargs[@]}" >"$work/kernels.log" 2>&1; then
    step kernels pass "$(grep -c ' ok$' "$work/kernels.log") comparisons ok on $dev" --json "$work/kernels.json" --seconds "$(since "$t0")"
  else
    step kernels fail "$(grep -E 'FAIL|Error|error' "$work/kernels.log" | head -n 3 | tr '\n' ' ' | cut -c1-300)" --json "$work/kernels.json" --seconds "$(since "$t0")"
  fi
fi

# ---- transformers ------------------------------------------------------------------------------------------
t0=$(now)
fx="$root/src/test/resources/vlm/tiny"
"$py" "$root/tools/gpu/transformers_check.py" --fixtures "$fx" --out "$work/transformers.json" --device "$dev" >"$work/transformers.log" 2>&1
rc=$?
case $rc in
  0) step transformers pass "$(grep -c '  ok ' "$work/transformers.log") checks ok (transformers $tf_ver, $dev)" --json "$work/transformers.json" --seconds "$(since "$t0")" ;;
  3) step transformers skip "$(grep SKIP "$work/transformers.log" | head -n 1 | cut -c1-200)" ;;
  *) step transformers fail "$(grep -E 'FAIL|Error' "$work/transformers.log" | head -n 3 | tr '\n' ' ' | cut -c1-300)" --json "$work/transformers.json" --seconds "$(since "$t0")" ;;
esac

# ---- Java: build, GPU tests, engine, training --------------------------------------------------------------
lever="$root/bin/lever"
java_ok=1
if [[ $skip_java -eq 1 ]]; then java_ok=0; why="--skip-java"
elif ! command -v java >/dev/null 2>&1; then java_ok=0; why="no java on this machine"
fi
if [[ $java_ok -eq 1 && $dry -eq 0 && $build -eq 1 ]]; then
  t0=$(now)
  if ! command -v mvn >/dev/null 2>&1; then
    step java-build skip "no mvn: using the existing build in target/ (it must be a -Pgpu build to reach the GPU)"
  elif (cd "$root" && mvn -B -q -Pgpu package -DskipTests >"$work/mvn-gpu.log" 2>&1); then
    step java-build pass "mvn -Pgpu package" --seconds "$(since "$t0")"
  else
    step java-build fail "mvn -Pgpu package: $(grep -E 'ERROR' "$work/mvn-gpu.log" | head -n 2 | tr '\n' ' ' | cut -c1-300)" --seconds "$(since "$t0")"
    java_ok=0; why="the -Pgpu build failed"
  fi
fi
if [[ $java_ok -eq 1 ]] && ! "$lever" --version >"$work/lever-version.log" 2>&1; then
  java_ok=0; why="bin/lever does not run: $(head -n 1 "$work/lever-version.log")"
fi
if [[ $java_ok -eq 0 ]]; then
  for s in java-gpu-tests engine train; do step $s skip "$why"; done
else
  # GPU unit tests (they skip themselves, with the reason, where no device exists)
  t0=$(now)
  if [[ $dry -eq 1 ]]; then
    step java-gpu-tests skip "dry run: the GPU tests run in the normal test suite, where they skip without a device"
  elif ! command -v mvn >/dev/null 2>&1; then
    step java-gpu-tests skip "no mvn to run the tests"
  elif (cd "$root" && mvn -B -Pgpu test -Dtest='KernelsCudaTest,CudaSelectorTest' -Dsurefire.failIfNoSpecifiedTests=false >"$work/gpu-tests.log" 2>&1); then
    if grep -q 'Skipped: [1-9]' "$work/gpu-tests.log"; then
      step java-gpu-tests fail "the GPU tests were skipped on a GPU machine: $(grep -m1 -i 'skip' "$work/gpu-tests.log" | cut -c1-200)" --seconds "$(since "$t0")"
    else
      step java-gpu-tests pass "$(grep -E 'Tests run:' "$work/gpu-tests.log" | tail -n 1)" --seconds "$(since "$t0")"
    fi
  else
    step java-gpu-tests fail "$(grep -E 'Tests run:|FAIL' "$work/gpu-tests.log" | tail -n 2 | tr '\n' ' ' | cut -c1-300)" --seconds "$(since "$t0")"
  fi

  # VLM engine: the bench snapshot (3B-shaped) on the device against the CPU, float32 and bfloat16
  t0=$(now)
  preset=bench; [[ $dry -eq 1 || $quick -eq 1 ]] && preset=tiny
  snap="$work/snapshot-$preset"; rm -rf "$snap"
  # token-level requests: the golden fixture's prompts (compact vocabulary, ids 2000-2007, like both presets),
  # repeated with fresh ids, beside the pixel tensors they name
  cp "$fx/goldens.safetensors" "$work/goldens.safetensors"
  copies=16; [[ $quick -eq 1 || $dry -eq 1 ]] && copies=3
  "$py" - "$fx" "$work" "$copies" <<'EOF'
import json, sys
fx, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for name, out in (("requests.jsonl", "requests.jsonl"), ("generate.jsonl", "generate-requests.jsonl")):
    rows = [json.loads(l) for l in open(fx + "/" + name) if l.strip()]
    with open(work + "/" + out, "w") as f:
        for c in range(n):
            for r in rows:
                # copy c > 0 changes the text tokens after the system prompt (images and spans stay): distinct prompts
                ids = [t if t >= 2000 or i < 8 or c == 0 else 10 + (t - 10 + 37 * c + i) % 1980
                       for i, t in enumerate(r["input_ids"])]
                f.write(json.dumps(dict(r, id="%s-%d" % (r["id"], c), input_ids=ids)) + "\n")
EOF
  engine_fail=""
  run_lever() { local name="$1"; shift; "$lever" "$@" >"$work/$name.log" 2>&1 || { engine_fail="$engine_fail $name: $(grep -v '^\s*$' "$work/$name.log" | tail -n 1 | cut -c1-200);"; return 1; }; }
  rate() { grep -o '[0-9.]* prompts/s' "$work/$1.log" | head -n 1 | cut -d' ' -f1; }
  # the bench preset (3B-shaped, compact vocabulary) on a GPU; the fixture's own tiny snapshot for --quick/--dry-run
  if [[ $preset == tiny ]]; then snap="$fx/snapshot-new"; fi
  if [[ $preset == tiny ]] || run_lever make-snapshot vlm make-tiny --out "$snap" --preset "$preset" --layout new; then
    S=(--snapshot "$snap" --requests "$work/requests.jsonl" --overwrite)
    G=(--snapshot "$snap" --requests "$work/generate-requests.jsonl" --overwrite)
    run_lever score-cpu-f32 vlm score "${S[@]}" --out "$work/score-cpu-f32.jsonl" --device cpu
    run_lever score-dev-f32 vlm score "${S[@]}" --out "$work/score-dev-f32.jsonl" --device $dev
    run_lever score-dev-bf16 vlm score "${S[@]}" --out "$work/score-dev-bf16.jsonl" --device $dev --dtype bfloat16
    run_lever score-dev-nocache vlm score "${S[@]}" --out "$work/score-dev-nocache.jsonl" --device $dev --no-image-cache --no-prefix-cache
    for nb_ in 1 3; do
      run_lever gen-cpu-$nb_ vlm generate "${G[@]}" --out "$work/gen-cpu-$nb_.jsonl" --device cpu --num-beams $nb_
      run_lever gen-dev-$nb_ vlm generate "${G[@]}" --out "$work/gen-dev-$nb_.jsonl" --device $dev --num-beams $nb_
    done
  fi
  if [[ -z "$engine_fail" ]]; then
    c1="$(R compare-scores "$work/score-cpu-f32.jsonl" "$work/score-dev-f32.jsonl" --tol 1e-4)"; r1=$?
    c2="$(R compare-scores "$work/score-cpu-f32.jsonl" "$work/score-dev-bf16.jsonl" --tol 0.05 --relative)"; r2=$?
    c3="$(R compare-scores "$work/score-dev-f32.jsonl" "$work/score-dev-nocache.jsonl" --tol 1e-4)"; r3=$?
    c4="$(R compare-tokens "$work/gen-cpu-1.jsonl" "$work/gen-dev-1.jsonl")"; r4=$?
    c5="$(R compare-tokens "$work/gen-cpu-3.jsonl" "$work/gen-dev-3.jsonl")"; r5=$?
    "$py" - "$work/engine.json" "$preset" "$dev" "$(rate score-cpu-f32)" "$(rate score-dev-f32)" "$(rate score-dev-bf16)" "$(rate score-dev-nocache)" \
      "f32 $dev vs cpu: $c1" "bf16 $dev vs cpu f32: $c2" "caches off vs on: $c3" "greedy: $c4" "beam3: $c5" "$r1$r2$r3$r4$r5" <<'EOF'
import json, sys
a = sys.argv
f = lambda s: float(s) if s else None
checks = [{"name": n, "pass": rc == "0", "detail": d} for n, d, rc in zip(
    ["score f32", "score bf16", "caches", "greedy tokens", "beam3 tokens"], a[8:13], a[13])]
json.dump({"snapshot": a[2], "device": a[3], "prompts_per_s": {"cpu_f32": f(a[4]), "device_f32": f(a[5]),
           "device_bf16": f(a[6]), "device_f32_no_caches": f(a[7])}, "checks": checks}, open(a[1], "w"), indent=1)
EOF
    if [[ "$r1$r2$r3$r4$r5" == 00000 ]]; then
      step engine pass "$preset snapshot on $dev: f32, bf16, caches, greedy and beam agree; prompts/s f32 $(rate score-dev-f32), bf16 $(rate score-dev-bf16), no caches $(rate score-dev-nocache), cpu $(rate score-cpu-f32)" --json "$work/engine.json" --seconds "$(since "$t0")"
    else
      step engine fail "$c1 | $c2 | $c3 | $c4 | $c5" --json "$work/engine.json" --seconds "$(since "$t0")"
    fi
  else
    step engine fail "$engine_fail" --seconds "$(since "$t0")"
  fi

  # One RCE epoch on the device against the CPU (dropout off so both runs compute the same function)
  t0=$(now)
  train_fail=""
  run_train() { local name="$1"; shift; "$lever" "$@" >"$work/$name.log" 2>&1 || train_fail="$train_fail $name: $(grep -v '^\s*$' "$work/$name.log" | tail -n 1 | cut -c1-200);"; }
  run_train synth data make-synthetic --format k64 --queries 64 --candidates 8 --pool 500 --out "$work/rl.json" --embeddings-out "$work/emb.safetensors" --overwrite
  T=(train --rl-data "$work/rl.json" --embeddings "$work/emb.safetensors" --rce-epochs 1 --dropout 0 --attn-dropout 0 --overwrite)
  [[ -z "$train_fail" ]] && run_train train-cpu "${T[@]}" --run-dir "$work/run-cpu" --device cpu
  [[ -z "$train_fail" ]] && run_train train-dev "${T[@]}" --run-dir "$work/run-dev" --device $dev
  if [[ -z "$train_fail" ]]; then
    if c="$(R compare-losses "$work/run-cpu/metrics.jsonl" "$work/run-dev/metrics.jsonl" --tol 1e-4)"; then
      step train pass "RCE 1 epoch, $dev vs cpu: $c" --seconds "$(since "$t0")"
    else
      step train fail "RCE 1 epoch, $dev vs cpu: $c" --seconds "$(since "$t0")"
    fi
  else
    step train fail "$train_fail" --seconds "$(since "$t0")"
  fi
fi

(cd "$work" && find . -maxdepth 1 \( -name '*.log' -o -name '*.json' \) -size -4M -print0 | tar --null -czf "$out/logs.tgz" -T -) 2>/dev/null
R write "$out"
