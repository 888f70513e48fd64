#!/usr/bin/env bash
# The main job (after tools/setup.sh).
# With the bundled models (models/hsa-tiny, its standard-residual ablation models/hsa-tiny-std and its baseline
# models/swa-tiny): the default sweep, teacher-forced, 5 tasks (3 NIAH, BABILong qa1-qa2) x 10 samples.
# - No GPU: on the CPU at 4K-64K (about 6M tokens per model, roughly 30 minutes per HSA model on 2 cores) into
#   results/main/.
# - A GPU (cuda backend, bf16 mode): at 4K-4M into results/main-gpu/, one worker per GPU, in steps of 4096
#   tokens (--block 4096: larger GEMMs; the step changes logits only by rounding). About 4 minutes on three
#   H200s (results/main-gpu); the 4M cells dominate it.
# Then the summary and the accuracy plot. 32M is left out: one 32M sample of hsa-tiny takes about 41 s on an
# H200 (results/hsa-tiny-long).
# Without them: one sample of every task at 4K and 128K tokens with a summary table; samples go to build/main/. qa_1/qa_2 run when SQUAD=PATH / HOTPOTQA=PATH are set.
set -euo pipefail
cd "$(dirname "$0")/.."
build/hsa info
model=models/hsa-tiny
if [ -f "$model/model.safetensors" ]; then
  for m in models/hsa-tiny-std models/swa-tiny; do
    if [ -f "$m/model.safetensors" ]; then model+=",$m"; fi
  done
  tasks=niah_single_1,niah_single_2,niah_multikey_2,qa1,qa2
  gpus=$(build/hsa info | sed -n 's/^  cuda:\([0-9]*\) .*/\1/p' | paste -sd, -)
  if [ -n "$gpus" ]; then   # a GPU and the cuda backend: out to 4M tokens, one worker per GPU
    out=results/main-gpu
    build/hsa eval --models "$model" --tasks "$tasks" --lengths 4K-4M*4 \
      --n 10 --mode teacher_forced --backend cuda --block 4096 --devices "$gpus" --out "$out"
  else
    out=results/main
    build/hsa eval --models "$model" --tasks "$tasks" --lengths 4K-64K*2 --n 10 --mode teacher_forced --out "$out"
  fi
  /usr/bin/python3 plots/accuracy_vs_length.py "$out" --train-length 4K --out "$out/accuracy_vs_length"
  exit 0
fi
mkdir -p build/main
tasks=niah_single_1,niah_single_2,niah_single_3,niah_multikey_1,niah_multikey_2,niah_multikey_3,niah_multivalue,niah_multiquery,vt,cwe,fwe
extra=()
if [ -n "${SQUAD:-}" ]; then tasks+=",qa_1"; extra+=(--squad "$SQUAD"); fi
if [ -n "${HOTPOTQA:-}" ]; then tasks+=",qa_2"; extra+=(--hotpotqa "$HOTPOTQA"); fi
build/hsa generate --task "$tasks,babilong" --length 4K,128K --n 1 --out build/main/samples.jsonl "${extra[@]}"
