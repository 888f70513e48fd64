#!/usr/bin/env bash
# Runs the test suites (after tools/setup.sh): GoogleTest through ctest, the pytest suite of the PyTorch
# reference model and trainer (Debian's /usr/bin/python3 with python3-torch), and the check that the default
# tokenizer rebuilds byte-identically from our own generators.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH; fi
cmake --build build -j"$(nproc)"
tools/build_tokenizer.sh
ctest --test-dir build --output-on-failure -j"$(nproc)"
PYTHONPATH=train /usr/bin/python3 -m pytest -q tests/python
