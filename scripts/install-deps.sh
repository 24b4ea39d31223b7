#!/usr/bin/env bash
# Installs every Debian package jstip needs to build, test and run its recipes.
# Idempotent; run as root (or with sudo). Safe to run again after a pull.
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  exec sudo -E bash "$0" "$@"
fi

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config git
  # LibTorch and a fast BLAS for it (without libopenblas0-openmp LibTorch
  # falls back to the reference BLAS, ~50x slower)
  libtorch-dev libopenblas0-openmp libgloo-dev
  # plugin loading, config, logging, records
  libboost-dev libboost-filesystem-dev libyaml-cpp-dev libspdlog-dev libfmt-dev
  libprotobuf-dev protobuf-compiler nlohmann-json3-dev
  # tests and benchmarks
  libgtest-dev libgmock-dev libbenchmark-dev
  # audio, synthesis, tokenizer
  libsndfile1-dev libsoxr-dev espeak-ng libespeak-ng-dev libsentencepiece-dev sentencepiece sox
  # reference scorer
  sctk
  # plots of `jstip compare` (PNG via the pngcairo terminal)
  gnuplot-nox
)

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" > /dev/null
echo "install-deps: ${#packages[@]} packages present"
