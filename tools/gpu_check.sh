#!/usr/bin/env bash
# The one script for the GPU machine: builds the project with the CUDA backend (fresh build dir, sm_90a,
# Release, all cores), runs the CUDA test suite (fails if any of its tests was skipped: on this machine
# nothing may be), runs the CUDA benchmarks (bench/bench_cuda.cpp: roofline, ops and paper-size prefill
# against a roofline measured in the same process; JSON in OUTDIR) and the dense-attention baseline
# (tools/sdpa_baseline.py), runs compute-sanitizer memcheck and racecheck on a subset, measures prefill
# throughput on the GPU (random-weight hsa-tiny vs its SWA baseline, 64K and 1M tokens), writes every log to
# OUTDIR and prints a short summary table last, followed by the benchmark table (tools/bench_table.py).
#
#   tools/gpu_check.sh OUTDIR        (on the GPU machine: tools/gpu_check.sh "$OUT")
#
# Env: HSA_COMMIT (the commit to record, for a copy of the tree whose .git is not the source's; also read by
# the build, cmake/git_commit.cmake); GPU_CHECK_BUDGET_S (default 330): steps that would start after this
# many seconds are skipped (and reported), so the summary always comes back; GPU_CHECK_LENGTHS (default "65536 1048576");
# GPU_CHECK_SKIP: steps not to run, any of "tests bench e2e sdpa memcheck racecheck perf";
# GPU_CHECK_BENCH_LENGTHS (contexts of the retrieval / chunk-attention op rows, default "4096 65536 1048576");
# GPU_CHECK_BENCH_E2E_LENGTHS (paper-size prefill lengths, one process each, default "4096 65536"; add
# 1048576 for 1M, ~1-2 min more; 33554432 (32M) only with a large budget: landmark scoring is quadratic);
# GPU_CHECK_BENCH_E2E_BACKENDS (default "cuda cuda-fp32": bf16 mode and fp32 rows); GPU_CHECK_PERF_BACKENDS
# (backends of the hsa-tiny prefill step, default "cuda cuda-fp32"); GPU_CHECK_PROFILE_TOKENS (default 262144:
# one hsa-tiny prefill in bf16 mode with HSA_CUDA_PROFILE=1, device time per op in profile.log; 0 skips);
# GPU_CHECK_BENCH_TIMEOUT_S (per benchmark process, default 180); GPU_CHECK_SDPA_BUDGET_S (default 45);
# HSA_PEAK_TFLOPS / HSA_PEAK_TFLOPS_BF16 / HSA_PEAK_GBS (datasheet peaks, passed on to the benchmark);
# GPU_CHECK_STEP (tokens per Session step of the benchmarks and the hsa-tiny prefills, default 256);
# GPU_CHECK_BUILD_DIR (default build-cuda-check; two checks on two GPUs of one host need two).
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: tools/gpu_check.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH; fi
budget=${GPU_CHECK_BUDGET_S:-330}
lengths=${GPU_CHECK_LENGTHS:-65536 1048576}
skip_steps=" ${GPU_CHECK_SKIP:-} "
bench_lengths=${GPU_CHECK_BENCH_LENGTHS:-4096 65536 1048576}
bench_e2e_lengths=${GPU_CHECK_BENCH_E2E_LENGTHS:-4096 65536}
bench_timeout=${GPU_CHECK_BENCH_TIMEOUT_S:-180}
bench_e2e_backends=${GPU_CHECK_BENCH_E2E_BACKENDS:-cuda cuda-fp32}
perf_backends=${GPU_CHECK_PERF_BACKENDS:-cuda cuda-fp32}
profile_tokens=${GPU_CHECK_PROFILE_TOKENS:-262144}
step_tokens=${GPU_CHECK_STEP:-256}
build=${GPU_CHECK_BUILD_DIR:-build-cuda-check}
SECONDS=0
status=0
rows=()
row() {  # step, PASS|FAIL|SKIP, detail
  rows+=("$(printf '%-22s %-5s %s' "$1" "$2" "$3")")
  if [ "$2" = FAIL ]; then status=1; fi
}
summary() {
  git status --porcelain >"$out/tree_status.txt" 2>/dev/null
  {
    echo
    echo "== gpu_check summary ($(date -u +%FT%TZ), git HEAD here ${commit:-unknown}, tree $(grep -c . "$out/tree_status.txt") files modified: tree_status.txt) =="
    echo "card: ${card:-unknown}; step ${step_tokens} tokens"
    printf '%-22s %-5s %s\n' step result detail
    for r in "${rows[@]}"; do echo "$r"; done
    echo "total ${SECONDS}s; logs in $out"
    if [ -s "$out/bench_table.md" ]; then
      echo
      echo "== benchmarks (tools/bench_table.py; JSON in $out) =="
      cat "$out/bench_table.md"
    fi
  } | tee "$out/summary.txt"
}
in_budget() {  # step name [skip key]: false (and a SKIP row) when the step is in GPU_CHECK_SKIP or the time budget is spent
  if [ -n "${2:-}" ] && [[ "$skip_steps" == *" $2 "* ]]; then
    row "$1" SKIP "GPU_CHECK_SKIP"
    return 1
  fi
  if [ "$SECONDS" -ge "$budget" ]; then
    row "$1" SKIP "time budget of ${budget}s spent"
    return 1
  fi
}
# Counts from a gtest log: lines "[  SKIPPED ] Name (N ms)" etc.
count() { grep -cE "^\[ *$1 *\] .* \([0-9]+ ms\)$" "$2" || true; }

commit=${HSA_COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
nvidia-smi >"$out/nvidia-smi.txt" 2>&1
card=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)

# ---- build ---------------------------------------------------------------------------------------------------
rm -rf "$build"
# With the benchmarks (Google Benchmark) if it configures; else without them, so the tests still run.
with_bench=ON
if ! cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90a \
     -DHSA_BUILD_BENCH=ON >"$out/configure.log" 2>&1; then
  with_bench=OFF
  rm -rf "$build"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90a \
    -DHSA_BUILD_BENCH=OFF >>"$out/configure.log" 2>&1
fi
build_targets=(hsa_tests hsa)
if [ "$with_bench" = ON ]; then build_targets+=(hsa_bench_cuda); fi
if cmake --build "$build" -j"$(nproc)" --target "${build_targets[@]}" >"$out/build.log" 2>&1; then
  row build PASS "${SECONDS}s, $(nproc) cores, targets ${build_targets[*]}"
elif [ "$with_bench" = ON ] && cmake --build "$build" -j"$(nproc)" --target hsa_tests >>"$out/build.log" 2>&1; then
  row build FAIL "hsa_tests built, hsa_bench_cuda did not: see build.log"
  with_bench=OFF
else
  row build FAIL "see build.log / configure.log"
  tail -30 "$out/build.log" "$out/configure.log" 2>/dev/null
  summary
  exit 1
fi
if [ "$with_bench" = OFF ] && [ "${#build_targets[@]}" -eq 1 ]; then
  row "bench build" FAIL "Google Benchmark did not configure (HSA_BUILD_BENCH=OFF); see configure.log"
fi
tests=$build/hsa_tests

# ---- the CUDA test suite -------------------------------------------------------------------------------------
if in_budget "cuda tests" tests; then
  t0=$SECONDS
  timeout 240 "$tests" --gtest_filter='Cuda*' --gtest_output="xml:$out/cuda_tests.xml" >"$out/cuda_tests.log" 2>&1
  rc=$?
  ok=$(count OK "$out/cuda_tests.log")
  failed=$(count FAILED "$out/cuda_tests.log")
  skipped=$(count SKIPPED "$out/cuda_tests.log")
  worst_model=$(sed -n 's/^\[ variant \] .* = //p' "$out/cuda_tests.log" | sort -g | tail -1)
  worst_stream=$(sed -n 's/^\[ stream \] .* = //p' "$out/cuda_tests.log" | sort -g | tail -1)
  worst_bf16=$(sed -n 's/^\[ bf16 \] .*: l2 rel error vs fp32 cpu: cuda \([^,]*\),.*/\1/p' "$out/cuda_tests.log" | sort -g | tail -1)
  detail="$ok passed, $failed failed, $skipped skipped (rc $rc, $((SECONDS - t0))s); max logits rel cuda vs cpu ${worst_model:-?}, max streaming rel ${worst_stream:-?}, max bf16 l2 rel vs fp32 cpu ${worst_bf16:-?}"
  if [ "$rc" -eq 0 ] && [ "$ok" -gt 0 ] && [ "$skipped" -eq 0 ]; then row "cuda tests" PASS "$detail"; else row "cuda tests" FAIL "$detail"; fi
  grep -E "^\[  FAILED  \] .*\(" "$out/cuda_tests.log" | head -20
fi

# ---- benchmarks: bench/bench_cuda.cpp and the dense-attention baseline ------------------------------------------
# Each process measures its own roofline (roofline_* rows) and writes one JSON; the ops in one process, each
# end-to-end length in its own (its device-memory peak counter is then exact, and a timeout loses only that
# length). The two random models (~1 GB each) are written once into the build dir, not into OUTDIR.
bench_errors() {  # JSON file: "<errored rows> <rows>" (or "? ?" when unreadable)
  python3 - "$1" <<'PY' 2>/dev/null || echo "? ?"
import json, sys
d = json.load(open(sys.argv[1]))
b = d.get("benchmarks", [])
print(sum(1 for r in b if r.get("error_occurred") or r.get("skipped")), len(b))
PY
}
run_bench() {  # step name, json name, filter, extra env assignments...
  local step=$1 json=$2 filter=$3
  shift 3
  local t0=$SECONDS
  env "$@" HSA_BENCH_STEP="$step_tokens" HSA_BENCH_LENGTHS="$bench_lengths" HSA_BENCH_MODEL_DIR="$PWD/$build/bench-models" \
    timeout "$bench_timeout" "$build/hsa_bench_cuda" --benchmark_filter="$filter" \
    --benchmark_out="$out/$json" --benchmark_out_format=json \
    --benchmark_context=card="${card:-unknown}" --benchmark_context=commit="$commit" \
    >"$out/${json%.json}.log" 2>&1
  local rc=$?
  read -r nerr nrows < <(bench_errors "$out/$json")
  local detail="$nrows rows, $nerr errored (rc $rc, $((SECONDS - t0))s; $json)"
  if [ "$rc" -eq 0 ] && [ "$nerr" = 0 ] && [ "$nrows" != 0 ]; then row "$step" PASS "$detail"
  elif [ "$rc" -eq 124 ]; then row "$step" FAIL "timed out after ${bench_timeout}s: $detail"
  else row "$step" FAIL "$detail; see ${json%.json}.log"; fi
}
if [ "$with_bench" = ON ]; then
  if in_budget "bench ops" bench; then
    run_bench "bench ops" bench_cuda_ops.json '^(roofline|op/)'
  fi
  for L in $bench_e2e_lengths; do
    in_budget "bench e2e L=$L" e2e || continue
    run_bench "bench e2e L=$L" "bench_cuda_e2e_$L.json" '^(roofline|e2e/)' HSA_BENCH_E2E_LENGTHS="$L" \
      HSA_BENCH_E2E_BACKENDS="$bench_e2e_backends"
  done
fi
if in_budget "sdpa baseline" sdpa; then
  t0=$SECONDS
  timeout 150 python3 tools/sdpa_baseline.py --out "$out/sdpa_baseline.json" \
    --budget-s "${GPU_CHECK_SDPA_BUDGET_S:-45}" >"$out/sdpa_baseline.log" 2>&1
  rc=$?
  if [ "$rc" -eq 0 ] && grep -q '"skipped"' "$out/sdpa_baseline.json" 2>/dev/null; then
    row "sdpa baseline" SKIP "$(tail -1 "$out/sdpa_baseline.log")"
  elif [ "$rc" -eq 0 ]; then
    row "sdpa baseline" PASS "$(grep -c '"ms"' "$out/sdpa_baseline.json") lengths timed (rc 0, $((SECONDS - t0))s)"
  else
    row "sdpa baseline" FAIL "rc $rc ($((SECONDS - t0))s); see sdpa_baseline.log"
  fi
fi
existing=()
for f in bench_cuda_ops.json $(for L in $bench_e2e_lengths; do echo "bench_cuda_e2e_$L.json"; done) sdpa_baseline.json; do
  if [ -s "$out/$f" ]; then existing+=("$out/$f"); fi
done
if [ "${#existing[@]}" -gt 0 ]; then
  python3 tools/bench_table.py "${existing[@]}" >"$out/bench_table.md" 2>"$out/bench_table.log" ||
    row "bench table" FAIL "tools/bench_table.py failed; see bench_table.log"
fi

# ---- compute-sanitizer ---------------------------------------------------------------------------------------
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
sanitize() {  # tool, gtest filter, time limit
  local tool=$1 filter=$2 limit=$3
  in_budget "$tool" "$tool" || return 0
  local t0=$SECONDS
  timeout "$limit" "$sanitizer" --tool "$tool" --error-exitcode 99 "$tests" --gtest_filter="$filter" \
    >"$out/$tool.log" 2>&1
  local rc=$?
  local summary_line
  summary_line=$(grep -E "ERROR SUMMARY|RACECHECK SUMMARY" "$out/$tool.log" | tail -1)
  local detail="${summary_line:-no summary line} (rc $rc, $((SECONDS - t0))s, $filter)"
  # rc 99: the sanitizer found errors; another non-zero rc: a test failed under it (see the log)
  if [ "$rc" -eq 0 ]; then row "$tool" PASS "$detail"
  elif [ "$rc" -eq 124 ]; then row "$tool" SKIP "timed out: $detail"
  elif [ "$rc" -eq 99 ]; then row "$tool" FAIL "$detail"
  else row "$tool" FAIL "a test failed under $tool: $detail"; fi
}
if [ -x "$sanitizer" ]; then
  sanitize memcheck 'CudaOps.*:CudaBf16Ops.*:CudaVariants/CudaModel.MatchesCpuBackend/default:CudaVariants/CudaModel.Bf16WithinTwiceTheErrorOfNaiveBf16/default' 150
  sanitize racecheck 'CudaOps.Retrieval*:CudaBf16Ops.Retrieval*:CudaBf16Ops.*ScorerSelects*:CudaOps.ChunkEncoder:CudaOps.WindowAttentionOverARing:CudaBf16Ops.*OnTensorCores' 120
else
  row sanitizer SKIP "compute-sanitizer not found"
fi

# ---- throughput --------------------------------------------------------------------------------------------------
for L in $lengths; do
  for B in $perf_backends; do
    in_budget "prefill $B L=$L" perf || continue
    t0=$SECONDS
    HSA_PERF_STEP=$step_tokens HSA_PERF_TOKENS=$L HSA_PERF_BACKEND=$B timeout 150 "$tests" --gtest_also_run_disabled_tests --gtest_filter='CudaPerf.*' \
      >"$out/perf_${B}_$L.log" 2>&1
    rc=$?
    hsa_tps=$(sed -n "s/^\[ perf \] $B hsa-tiny prefill .*tokens_per_s=//p" "$out/perf_${B}_$L.log")
    swa_tps=$(sed -n "s/^\[ perf \] $B swa prefill .*tokens_per_s=//p" "$out/perf_${B}_$L.log")
    ratio=$(sed -n "s/^\[ perf \] $B hsa-tiny\/swa time ratio .*: //p" "$out/perf_${B}_$L.log")
    detail="hsa-tiny ${hsa_tps:-?} tok/s, swa baseline ${swa_tps:-?} tok/s, time ratio ${ratio:-?} (rc $rc, $((SECONDS - t0))s)"
    if [ "$rc" -eq 0 ] && [ -n "$hsa_tps" ]; then row "prefill $B L=$L" PASS "$detail"; else row "prefill $B L=$L" FAIL "$detail"; fi
  done
done
# Where the time of a prefill goes: device time per op (synchronized after each op, so slower than above).
if [ "$profile_tokens" != 0 ] && in_budget "profile L=$profile_tokens" perf; then
  t0=$SECONDS
  HSA_CUDA_PROFILE=1 HSA_PERF_STEP=$step_tokens HSA_PERF_TOKENS=$profile_tokens HSA_PERF_BACKEND=cuda timeout 150 "$tests" \
    --gtest_also_run_disabled_tests --gtest_filter='CudaPerf.*' >"$out/profile.log" 2>&1
  rc=$?
  # the last table printed is the timed hsa-tiny session's (each session's backend prints its own on exit)
  top=$(awk '/^HSA_CUDA_PROFILE \(cuda backend\)/ {n = 0; top = ""; next} /^  op / {next}
             /^  [a-z_]+ / && n < 3 {top = top $1 " " $5 ", "; n++} END {print top}' "$out/profile.log")
  if [ "$rc" -eq 0 ]; then row "profile L=$profile_tokens" PASS "top ops (share of device time): ${top:-?} (${SECONDS}s; profile.log)"
  else row "profile L=$profile_tokens" FAIL "rc $rc; see profile.log"; fi
fi

summary
exit $status
