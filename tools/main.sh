#!/usr/bin/env bash
# The main job (after tools/setup.sh). For now: one sample of every task at 4K and 128K tokens, with a
# summary table; samples go to build/main/. qa_1/qa_2 run when SQUAD=PATH / HOTPOTQA=PATH are set.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p build/main
tasks=niah_single_1,niah_single_2,niah_single_3,niah_multikey_1,niah_multikey_2,niah_multikey_3,niah_multivalue,niah_multiquery,vt,cwe,fwe
extra=()
if [ -n "${SQUAD:-}" ]; then tasks+=",qa_1"; extra+=(--squad "$SQUAD"); fi
if [ -n "${HOTPOTQA:-}" ]; then tasks+=",qa_2"; extra+=(--hotpotqa "$HOTPOTQA"); fi
build/hsa info
build/hsa generate --task "$tasks,babilong" --length 4K,128K --n 1 --out build/main/samples.jsonl "${extra[@]}"
