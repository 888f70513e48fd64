#!/usr/bin/env bash
# On the GPU machine: build `hsa`, generate a recipe's datasets once, train one or more models of that recipe
# side by side, spread over the GPUs (small models leave a GPU mostly idle; several share one), export each, and write to $OUT one archive
# per model (NAME.tgz.partNN, <16 MiB each: the model directory, its sha256, every stage's log and the
# trainer's output). Unpack: cat NAME.tgz.part* | tar xz -C DIR
#
#   tools/gpu_train.sh RECIPE NAME[:CONFIG][@RECIPE2][%SEED] ...
#   e.g. tools/gpu_train.sh train/recipes/tiny-curriculum.json hsa-tiny hsa-tiny-s2%2 swa-tiny:train/configs/swa-tiny.json
# (@RECIPE2: another recipe with the same datasets, e.g. other training options; %SEED: another seed than the
# recipe's, i.e. other initial weights and other samples.)
#
# Env: MINUTES_SCALE (multiplies every stage's time budget), CURRICULUM_ARGS (more hsa.curriculum flags for every
# model, e.g. "--stages long --init models/hsa-tiny-stage1" to go on from weights an earlier call brought back),
# INIT_DIR (each model starts from INIT_DIR/NAME, or, for a NAME-x%SEED spec, from INIT_DIR/NAME when there is no
# INIT_DIR/NAME-x: weights an earlier call brought back; with CURRICULUM_ARGS="--stages ..."), HSA_BIN (skip the
# build), PYTHON, GPU_TRAIN_GPUS (device indices the models are spread over, round robin; default: every GPU
# that nvidia-smi lists; e.g. "1 2 3" or "1,2,3" to leave GPU 0 to another job; physical indices, which replace
# any CUDA_VISIBLE_DEVICES of the caller).
set -euo pipefail
cd "$(dirname "$0")/.."
recipe=$1
shift
OUT=${OUT:-/tmp/hsa-out}
mkdir -p "$OUT"
# Every spec NAME[:CONFIG][@RECIPE2][%SEED], parsed once ("-": the recipe's seed / config).
names=() cfgs=() recipes=() seeds=()
for spec in "$@"; do
  seed=-; [[ $spec == *%* ]] && { seed=${spec##*%}; spec=${spec%\%*}; }
  r=$recipe; [[ $spec == *@* ]] && { r=${spec#*@}; spec=${spec%%@*}; }
  names+=("${spec%%:*}") recipes+=("$r") seeds+=("$seed")
  [[ $spec == *:* ]] && cfgs+=("${spec#*:}") || cfgs+=(-)
done
# Initial weights of each model (checked before anything is built or trained).
declare -A inits=()
if [ -n "${INIT_DIR:-}" ]; then
  for i in "${!names[@]}"; do
    name=${names[i]}
    cand=("$INIT_DIR/$name")
    [ "${seeds[i]}" != - ] && cand+=("$INIT_DIR/${name%-*}")
    for d in "${cand[@]}"; do [ -d "$d" ] && { inits[$name]=$d; break; }; done
    [ -n "${inits[$name]:-}" ] || { echo "gpu_train: no initial weights for $name (looked for: ${cand[*]})" >&2; exit 1; }
  done
fi
hsa=${HSA_BIN:-}
if [ -z "$hsa" ]; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSA_CUDA=OFF -DHSA_BUILD_TESTS=OFF -DHSA_BUILD_BENCH=OFF >/dev/null
  cmake --build build-gpu -j"$(nproc)" --target hsa >build-gpu.log 2>&1 || { tail -30 build-gpu.log >&2; exit 1; }
  hsa=build-gpu/hsa
fi
py=${PYTHON:-python3}
export PYTHONPATH=train PYTHONUNBUFFERED=1
data=/tmp/hsa-data
SECONDS=0
# Every seed's datasets once, before the models start (they share them).
for seed in $(printf '%s\n' "${seeds[@]}" | sort -u); do
  seed_arg=()
  [ "$seed" != - ] && seed_arg=(--seed "$seed")
  # shellcheck disable=SC2086
  $py -m hsa.curriculum --recipe "$recipe" --out /tmp/hsa-prep --data-dir "$data" --hsa "$hsa" "${seed_arg[@]}" \
    ${CURRICULUM_ARGS:-} --prepare
done
echo "datasets: $(du -sh "$data" | cut -f1) in ${SECONDS}s"
# Small models leave the GPU mostly idle and are bound by the CPU's kernel launches: one share of the cores each.
threads=$(( $(nproc) / $# > 0 ? $(nproc) / $# : 1 ))
gpu_list=${GPU_TRAIN_GPUS:-$({ nvidia-smi --query-gpu=index --format=csv,noheader 2>/dev/null || true; } | paste -sd' ')}
read -r -a gpus <<<"${gpu_list//,/ }"   # "1 2 3" or "1,2,3"
[ ${#gpus[@]} -gt 0 ] || gpus=(0)
pids=()
for i in "${!names[@]}"; do
  name=${names[i]}
  opt=()
  [ "${cfgs[i]}" != - ] && opt+=(--config "${cfgs[i]}")
  [ "${seeds[i]}" != - ] && opt+=(--seed "${seeds[i]}")
  [ -n "${inits[$name]:-}" ] && opt+=(--init "${inits[$name]}")
  # shellcheck disable=SC2086
  CUDA_VISIBLE_DEVICES=${gpus[i % ${#gpus[@]}]} OMP_NUM_THREADS=$threads $py -m hsa.curriculum --recipe "${recipes[i]}" "${opt[@]}" --out "/tmp/hsa-run-$name" \
    --data-dir "$data" --hsa "$hsa" --minutes-scale "${MINUTES_SCALE:-1}" ${CURRICULUM_ARGS:-} \
    --export "/tmp/hsa-model-$name" --name "$name" >"/tmp/hsa-$name-train.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
# What comes back from the GPU machine is limited in file count (8): one archive per model, split into parts.
for name in "${names[@]}"; do
  m=/tmp/hsa-model-$name
  [ -f "$m/model.safetensors" ] || { echo "gpu_train: $name was not exported (see its log)" >&2; tail -20 "/tmp/hsa-$name-train.log" >&2; status=1; continue; }
  for d in /tmp/hsa-run-"$name"/*/; do [ -f "$d/log.jsonl" ] && cp "$d/log.jsonl" "$m/log-$(basename "$d").jsonl"; done
  cp "/tmp/hsa-$name-train.log" "$m/train.log"
  (cd "$m" && sha256sum model.safetensors >model.safetensors.sha256)
  tar czf - -C "$m" . | split -b 15M -d - "$OUT/$name.tgz.part"
  echo "== $name"
  sed -n '/^## Held-out/,$p' "$m/MODEL_CARD.md" | grep '^|' || true
done
exit $status
