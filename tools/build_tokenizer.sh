#!/usr/bin/env bash
# Rebuilds the project's default tokenizer, models/tokenizer/hsa-8k.model, byte-identically from text made
# by our own generators (`hsa tokenizer-corpus`), and checks it against the committed SHA256SUMS.
#
#   tools/build_tokenizer.sh           rebuild into a temporary folder and compare with the committed model
#   tools/build_tokenizer.sh --write   rebuild and replace the committed model and its checksum
#
# Options that matter for the generators: identity normalization, no dummy prefix, no whitespace
# collapsing (pieces cut at a space or newline then tokenize independently); newline as a user-defined
# symbol; digits split; byte fallback (any text round-trips). BPE rather than unigram: unigram's Viterbi
# breaks near-ties by accumulated float scores, so a word can split differently deep in a long text;
# BPE merges never look past a whitespace boundary. One thread, no sampling: deterministic.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD_DIR:-$root/build}
hsa="$build/hsa"
[ -x "$hsa" ] || { echo "build_tokenizer: $hsa not built (cmake --preset default && cmake --build build)" >&2; exit 1; }
command -v spm_train >/dev/null || { echo "build_tokenizer: spm_train not found (apt-get install sentencepiece)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$hsa" tokenizer-corpus --lines 200000 --out "$work/corpus.txt"
# Relative paths: the model file records its training options, input and prefix names included.
(cd "$work" && spm_train --input=corpus.txt --model_prefix=hsa-8k --vocab_size=8192 --model_type=bpe \
  --character_coverage=1.0 --byte_fallback=true --split_digits=true --normalization_rule_name=identity \
  --add_dummy_prefix=false --remove_extra_whitespaces=false --user_defined_symbols=$'\n' \
  --num_threads=1 --input_sentence_size=0 --shuffle_input_sentence=false --max_sentence_length=8192 \
  --minloglevel=2 >train.log 2>&1) || { cat "$work/train.log" >&2; exit 1; }
sum=$(cd "$work" && sha256sum hsa-8k.model)
if [ "${1:-}" = "--write" ]; then
  cp "$work/hsa-8k.model" "$root/models/tokenizer/hsa-8k.model"
  echo "$sum" > "$root/models/tokenizer/SHA256SUMS"
  echo "wrote models/tokenizer/hsa-8k.model ($sum)"
else
  committed=$(cat "$root/models/tokenizer/SHA256SUMS")
  if [ "$sum" = "$committed" ]; then echo "tokenizer rebuilt byte-identically: $sum"; else echo "MISMATCH: rebuilt $sum, committed $committed" >&2; exit 1; fi
fi
