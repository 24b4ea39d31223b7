#!/usr/bin/env bash
# Open-source baseline (issue 8, experiment 5): Debian's pocketsphinx with its
# US English acoustic and language model on the built-in test sets, scored by
# `jstip eval` exactly like jstip's own hypotheses (WER, CER, entity accuracy).
#
#   recipes/pocketsphinx_baseline.sh [--data DIR] [--out DIR] [--limit N] [--jstip PATH]
#
# DATA defaults to data/quick, OUT to runs/pocketsphinx, LIMIT to 300 (the
# first records of each set, as recipes/reference.sh scores). Installs
# pocketsphinx and pocketsphinx-en-us when missing (as root).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
cd "$root"
data=data/quick out=runs/pocketsphinx limit=300 jstip=${JSTIP:-./build/bin/jstip}
while [ $# -gt 0 ]; do
  case $1 in
    --data) data=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --limit) limit=$2; shift 2 ;;
    --jstip) jstip=$2; shift 2 ;;
    -h|--help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "pocketsphinx_baseline: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -x "$jstip" ] || { echo "pocketsphinx_baseline: $jstip not found; build first (scripts/build.sh)" >&2; exit 1; }
if ! command -v pocketsphinx_batch > /dev/null || [ ! -d /usr/share/pocketsphinx/model/en-us ]; then
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    pocketsphinx pocketsphinx-en-us > /dev/null
fi

for set in general medical heldout; do
  dir=$out/$set
  [ -f "$dir/eval.txt" ] && { echo "== $set (done): $(grep -E '^WER' "$dir/eval.txt" | tr -s ' ')"; continue; }
  mkdir -p "$dir"
  "$jstip" data inspect "$data/test_$set" --limit "$limit" --export "$dir/audio" > /dev/null
  python3 -c 'import json, sys
for line in open(sys.argv[1]): print(json.loads(line)["id"])' "$dir/audio/records.jsonl" > "$dir/ctl.txt"
  audio=$(python3 -c 'import json, sys, wave
print(sum(wave.open(json.loads(l)["wav"]).getnframes() for l in open(sys.argv[1])) / 16000)' "$dir/audio/records.jsonl")
  start=$(date +%s.%N)
  # -adchdr 44: skip the WAV header (raw 16 kHz 16-bit samples follow).
  pocketsphinx_batch -adcin yes -adchdr 44 -cepdir "$dir/audio" -cepext .wav -ctl "$dir/ctl.txt" \
    -hyp "$dir/pocketsphinx.hyp" -logfn "$dir/pocketsphinx.log"
  end=$(date +%s.%N)
  python3 recipes/lib/pocketsphinx_join.py "$dir/audio/records.jsonl" "$dir/pocketsphinx.hyp" "$dir/hyp.jsonl"
  "$jstip" eval --hyp "$dir/hyp.jsonl" --out "$dir" > "$dir/eval.txt.tmp"
  echo "audio_seconds $audio wall_seconds $(awk "BEGIN {print $end - $start}")" >> "$dir/eval.txt.tmp"
  mv "$dir/eval.txt.tmp" "$dir/eval.txt"
  rm -rf "$dir/audio"/*.wav
  echo "== $set"
  grep -E '^(WER|CER|entity)|^audio_seconds' "$dir/eval.txt" | tr -s ' '
done
