#!/usr/bin/env bash
# On the GPU machine: build `hsa`, generate a recipe's datasets once, train one or more models of that recipe
# side by side on the one GPU (small models leave it mostly idle), export each, and copy the results to $OUT:
# per model the model directory files (model.safetensors split into <16 MiB parts + its sha256), the card, and
# every stage's training log.
#
#   tools/gpu_train.sh RECIPE NAME[:CONFIG] ...
#   e.g. tools/gpu_train.sh train/recipes/tiny-curriculum.json hsa-tiny swa-tiny:train/configs/swa-tiny.json
#
# Env: MINUTES_SCALE (multiplies every stage's time budget), HSA_BIN (skip the build), PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
recipe=$1
shift
OUT=${OUT:-/tmp/hsa-out}
mkdir -p "$OUT"
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
$py -m hsa.curriculum --recipe "$recipe" --out /tmp/hsa-prep --data-dir "$data" --hsa "$hsa" --prepare
echo "datasets: $(du -sh "$data" | cut -f1) in ${SECONDS}s"
pids=()
for spec in "$@"; do
  name=${spec%%:*}
  cfg=$([ "$spec" != "$name" ] && echo "--config ${spec#*:}" || true)
  # shellcheck disable=SC2086
  $py -m hsa.curriculum --recipe "$recipe" $cfg --out "/tmp/hsa-run-$name" --data-dir "$data" --hsa "$hsa" \
    --minutes-scale "${MINUTES_SCALE:-1}" --export "/tmp/hsa-model-$name" --name "$name" >"$OUT/$name-train.log" 2>&1 &
  pids+=($!)
done
status=0
for p in "${pids[@]}"; do wait "$p" || status=1; done
for spec in "$@"; do
  name=${spec%%:*}
  mkdir -p "$OUT/$name"
  for d in /tmp/hsa-run-"$name"/*/; do [ -f "$d/log.jsonl" ] && cp "$d/log.jsonl" "$OUT/$name/log-$(basename "$d").jsonl"; done
  m=/tmp/hsa-model-$name
  [ -f "$m/model.safetensors" ] || { echo "gpu_train: $name was not exported (see $name-train.log)" >&2; tail -20 "$OUT/$name-train.log" >&2; continue; }
  cp "$m/config.json" "$m/MODEL_CARD.md" "$OUT/$name/"
  split -b 15M -d "$m/model.safetensors" "$OUT/$name/model.safetensors.part"
  (cd "$m" && sha256sum model.safetensors) >"$OUT/$name/model.safetensors.sha256"
  tail -c 2000 "$OUT/$name-train.log" | tr '\r' '\n' | tail -8
done
exit $status
