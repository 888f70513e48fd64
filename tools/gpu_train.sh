#!/usr/bin/env bash
# On the GPU machine: build `hsa`, generate the training mixture, train a model for a bounded time and export
# it. Results (model directory files, split into <16 MiB parts where needed, and the training log) go to $OUT.
#
#   tools/gpu_train.sh CONFIG NAME MINUTES      e.g. tools/gpu_train.sh train/configs/hsa-tiny.json hsa-tiny 6
set -euo pipefail
cd "$(dirname "$0")/.."
config=$1 name=$2 minutes=$3
OUT=${OUT:-/tmp/hsa-out}
mkdir -p "$OUT"
hsa=${HSA_BIN:-}
if [ -z "$hsa" ]; then
  cmake -S . -B build-gpu -G Ninja -DCMAKE_BUILD_TYPE=Release -DHSA_CUDA=OFF -DHSA_BUILD_TESTS=OFF -DHSA_BUILD_BENCH=OFF >/dev/null
  cmake --build build-gpu -j"$(nproc)" --target hsa >build-gpu.log 2>&1 || { tail -30 build-gpu.log >&2; exit 1; }
  hsa=build-gpu/hsa
fi
data=/tmp/hsa-data
mkdir -p "$data"
# The mixture (issue: single, multikey, multivalue, multiquery needles, vt, BABILong qa1-qa5): FOCUS tasks get
# N_FOCUS samples per length, the others N_OTHER; one generator process per (task, length).
focus=${FOCUS:-"niah_single_1 niah_single_2 niah_multikey_2"}
others=${OTHERS:-"niah_single_3 niah_multikey_1 niah_multikey_3 niah_multivalue niah_multiquery vt qa1 qa2 qa3 qa4 qa5"}
lengths=${LENGTHS:-"512 1K 2K 4K"}
files=() pids=()
for t in $focus $others; do
  for L in $lengths; do
    n=$(case " $focus " in *" $t "*) echo "${N_FOCUS:-4000}";; *) echo "${N_OTHER:-800}";; esac)
    "$hsa" generate --task "$t" --length "$L" --n "$n" --seed 1 --quiet --out "$data/$t-$L.h5" &
    pids+=($!)
    files+=("$data/$t-$L.h5")
  done
done
for p in "${pids[@]}"; do wait "$p" || true; done   # a task too long for a length is skipped (its error is shown)
present=()
for f in "${files[@]}"; do [ -f "$f" ] && present+=("$f"); done
files=("${present[@]}")
[ "${#files[@]}" -gt 0 ] || { echo "gpu_train: no dataset was generated" >&2; exit 1; }
du -sh "$data"
list=$(IFS=,; echo "${files[*]}")
run=/tmp/hsa-run-$name
export PYTHONPATH=train PYTHONUNBUFFERED=1
${PYTHON:-python3} -m hsa.train --config "$config" --data "$list" --out "$run" --steps "${STEPS:-100000}" \
  --time-budget-min "$minutes" --eval-every "${EVAL_EVERY:-200}" --eval-rows 280 ${TRAIN_ARGS:-}
${PYTHON:-python3} -m hsa.export --run "$run" --config "$config" --tokenizer models/tokenizer/hsa-8k.model --out "$run/export" --name "$name"
cp "$run/log.jsonl" "$OUT/$name-log.jsonl"
cd "$run/export"
cp config.json MODEL_CARD.md "$OUT/"
split -b 15M -d model.safetensors "$OUT/model.safetensors.part"
sha256sum model.safetensors > "$OUT/model.safetensors.sha256"
