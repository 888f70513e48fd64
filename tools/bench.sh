#!/usr/bin/env bash
# Runs the generator benchmark with the machine and commit recorded in its context; JSON to $1 (default
# bench/results-generators-cpu.json). Takes about 10 minutes on one core (the 32M tokenizer baselines).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/results-generators-cpu.json}
cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
build/bench_generators --benchmark_context=card="$cpu" --benchmark_context=commit="$(git rev-parse --short=12 HEAD)" \
  --benchmark_out="$out" --benchmark_out_format=json
