#!/usr/bin/env bash
# The one script for the GPU machine: builds the project with the CUDA backend (fresh build dir, sm_90a,
# Release, all cores), runs the CUDA test suite (fails if any of its tests was skipped: on this machine
# nothing may be), runs compute-sanitizer memcheck and racecheck on a subset, measures prefill throughput on
# the GPU (random-weight hsa-tiny vs its SWA baseline, 64K and 1M tokens), writes every log to OUTDIR and
# prints a short summary table last.
#
#   tools/gpu_check.sh OUTDIR        (on the GPU machine: tools/gpu_check.sh "$OUT")
#
# Env: GPU_CHECK_BUDGET_S (default 330): steps that would start after this many seconds are skipped (and
# reported), so the summary always comes back; GPU_CHECK_LENGTHS (default "65536 1048576").
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: tools/gpu_check.sh OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH; fi
budget=${GPU_CHECK_BUDGET_S:-330}
lengths=${GPU_CHECK_LENGTHS:-65536 1048576}
build=build-cuda-check
SECONDS=0
status=0
rows=()
row() {  # step, PASS|FAIL|SKIP, detail
  rows+=("$(printf '%-22s %-5s %s' "$1" "$2" "$3")")
  if [ "$2" = FAIL ]; then status=1; fi
}
summary() {
  {
    echo
    echo "== gpu_check summary ($(date -u +%FT%TZ), git HEAD here $(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown), tree $(git status --porcelain 2>/dev/null | wc -l | tr -d ' ') files modified) =="
    echo "card: ${card:-unknown}"
    printf '%-22s %-5s %s\n' step result detail
    for r in "${rows[@]}"; do echo "$r"; done
    echo "total ${SECONDS}s; logs in $out"
  } | tee "$out/summary.txt"
}
in_budget() {  # step name: false (and a SKIP row) when the time budget is spent
  if [ "$SECONDS" -ge "$budget" ]; then
    row "$1" SKIP "time budget of ${budget}s spent"
    return 1
  fi
}
# Counts from a gtest log: lines "[  SKIPPED ] Name (N ms)" etc.
count() { grep -cE "^\[ *$1 *\] .* \([0-9]+ ms\)$" "$2" || true; }

nvidia-smi >"$out/nvidia-smi.txt" 2>&1
card=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)

# ---- build ---------------------------------------------------------------------------------------------------
rm -rf "$build"
if cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSA_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES=90a \
     -DHSA_BUILD_BENCH=OFF >"$out/configure.log" 2>&1 &&
   cmake --build "$build" -j"$(nproc)" --target hsa_tests >"$out/build.log" 2>&1; then
  row build PASS "${SECONDS}s, $(nproc) cores"
else
  row build FAIL "see build.log / configure.log"
  tail -30 "$out/build.log" "$out/configure.log" 2>/dev/null
  summary
  exit 1
fi
tests=$build/hsa_tests

# ---- the CUDA test suite -------------------------------------------------------------------------------------
if in_budget "cuda tests"; then
  t0=$SECONDS
  timeout 240 "$tests" --gtest_filter='Cuda*' --gtest_output="xml:$out/cuda_tests.xml" >"$out/cuda_tests.log" 2>&1
  rc=$?
  ok=$(count OK "$out/cuda_tests.log")
  failed=$(count FAILED "$out/cuda_tests.log")
  skipped=$(count SKIPPED "$out/cuda_tests.log")
  worst_model=$(sed -n 's/^\[ variant \] .* = //p' "$out/cuda_tests.log" | sort -g | tail -1)
  worst_stream=$(sed -n 's/^\[ stream \] .* = //p' "$out/cuda_tests.log" | sort -g | tail -1)
  detail="$ok passed, $failed failed, $skipped skipped (rc $rc, $((SECONDS - t0))s); max logits rel cuda vs cpu ${worst_model:-?}, max streaming rel ${worst_stream:-?}"
  if [ "$rc" -eq 0 ] && [ "$ok" -gt 0 ] && [ "$skipped" -eq 0 ]; then row "cuda tests" PASS "$detail"; else row "cuda tests" FAIL "$detail"; fi
  grep -E "^\[  FAILED  \] .*\(" "$out/cuda_tests.log" | head -20
fi

# ---- compute-sanitizer ---------------------------------------------------------------------------------------
sanitizer=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
sanitize() {  # tool, gtest filter, time limit
  local tool=$1 filter=$2 limit=$3
  in_budget "$tool" || return 0
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
  sanitize memcheck 'CudaOps.*:CudaVariants/CudaModel.MatchesCpuBackend/default' 120
  sanitize racecheck 'CudaOps.Retrieval*:CudaOps.ChunkEncoder:CudaOps.WindowAttentionOverARing' 90
else
  row sanitizer SKIP "compute-sanitizer not found"
fi

# ---- throughput --------------------------------------------------------------------------------------------------
for L in $lengths; do
  in_budget "prefill L=$L" || continue
  t0=$SECONDS
  HSA_PERF_TOKENS=$L timeout 150 "$tests" --gtest_also_run_disabled_tests --gtest_filter='CudaPerf.*' \
    >"$out/perf_$L.log" 2>&1
  rc=$?
  hsa_tps=$(sed -n 's/^\[ perf \] cuda hsa-tiny prefill .*tokens_per_s=//p' "$out/perf_$L.log")
  swa_tps=$(sed -n 's/^\[ perf \] cuda swa prefill .*tokens_per_s=//p' "$out/perf_$L.log")
  ratio=$(sed -n 's/^\[ perf \] cuda hsa-tiny\/swa time ratio .*: //p' "$out/perf_$L.log")
  detail="hsa-tiny ${hsa_tps:-?} tok/s, swa baseline ${swa_tps:-?} tok/s, time ratio ${ratio:-?} (rc $rc, $((SECONDS - t0))s)"
  if [ "$rc" -eq 0 ] && [ -n "$hsa_tps" ]; then row "prefill L=$L" PASS "$detail"; else row "prefill L=$L" FAIL "$detail"; fi
done

summary
exit $status
