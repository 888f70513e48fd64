#!/usr/bin/env bash
# Installs what the project needs on a fresh Debian machine (as root, or with sudo) and builds it into build/.
# Python: Debian's /usr/bin/python3 with python3-torch (CPU) for the reference model and trainer; OpenBLAS,
# because torch on Debian otherwise multiplies with the reference BLAS (about 20x slower here).
# The CUDA backend is compiled when nvcc is on PATH (or in /usr/local/cuda/bin); otherwise CPU only.
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO=sudo; fi
if command -v apt-get >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends \
    build-essential cmake ninja-build pkg-config git python3 \
    libsentencepiece-dev sentencepiece nlohmann-json3-dev libhdf5-dev \
    libgtest-dev libbenchmark-dev libomp-dev \
    libopenblas0-pthread python3-torch python3-numpy python3-h5py python3-pytest python3-matplotlib >/dev/null
fi
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then export PATH=/usr/local/cuda/bin:$PATH; fi
cmake --preset default -G Ninja >/dev/null
cmake --build build -j"$(nproc)"
