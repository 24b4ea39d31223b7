#!/bin/sh
# End-to-end check of the data commands: text -> synth shards -> stats,
# inspect (WAV export), import, cmvn, tokenizer. Usage: cli_test.sh JSTIP SCRATCH
set -eu
jstip=$1
dir=$2
rm -rf "$dir" && mkdir -p "$dir" && cd "$dir"
printf 'u1\tThe patient was given [[aspirin|drug]].\nu2\tTake 2 tablets of [[ibuprofen|drug]] for [[migraine|disease]].\n# comment\nRest.\n' > text.txt
"$jstip" data synth text.txt --out synth --per-shard 2 --no-progress synthesis.seed=3 > synth.log
grep -q "wrote 3 utterances" synth.log
"$jstip" data stats synth > stats.log
grep -q "utterances    3 (0 text-only)" stats.log
grep -q "entity types: disease=1 drug=2" stats.log
grep -q "words         13 (13 with timings)" stats.log
grep -q "timed records 3 of 3 with audio" stats.log
grep -q "hours by engine: espeak-ng=" stats.log
# A mix of all four engines: engine and voice in every record, hours by
# engine and voice, timing agreement per engine, and the same bytes from a
# second run (determinism by seed, corpus level: fresh process, same requests).
printf 'synthesis:\n  seed: 4\n  engines:\n    - {type: espeak-ng, weight: 1, voices: [en-us]}\n    - {type: mbrola, weight: 1, voices: [us1]}\n    - {type: flite, weight: 1, voices: [kal16]}\n    - {type: festival, weight: 1, voices: [kal]}\n' > mix.yaml
# 24 lines: with four equal weights every engine is drawn (a miss has odds of about 1 in 250).
for i in 1 2 3; do
  printf 'the nurse gave ten milligrams\nplease call the clinic\nthe soup is very hot\nhe broke his left arm\nthey bought fresh bread\nthe train leaves at noon\ntake two tablets after meals\nthe dog ran across the field\n'
done > mix.txt
"$jstip" data synth mix.txt --out mix1 --config mix.yaml --no-progress > mix1.log
"$jstip" data synth mix.txt --out mix2 --config mix.yaml --no-progress > mix2.log
grep -q "wrote 24 utterances" mix1.log
# (records, not bytes: protobuf writes metadata maps in no fixed order)
"$jstip" data inspect mix1 --full | sort > mix1.txt
"$jstip" data inspect mix2 --full | sort > mix2.txt
cmp mix1.txt mix2.txt
for i in $(seq 1 24); do
  "$jstip" data inspect mix1 --id "synth-$i" --wav a.wav > /dev/null
  "$jstip" data inspect mix2 --id "synth-$i" --wav b.wav > /dev/null
  cmp a.wav b.wav
done
"$jstip" data stats mix1 --timing > mix-stats.log
for e in espeak-ng mbrola flite festival; do
  grep -q "^hours by engine:.* $e=" mix-stats.log || { echo "no $e hours"; cat mix-stats.log; exit 1; }
  grep -q "^timing $e: utterances [1-9]" mix-stats.log || { echo "no $e timing"; cat mix-stats.log; exit 1; }
done
grep -q "^hours by voice:.*festival/kal=.*mbrola/us1=" mix-stats.log
printf 'synthesis:\n  engines: [{type: nosuch}]\n' > bad-engine.yaml
if "$jstip" data synth mix.txt --out bad --config bad-engine.yaml > bad-engine.log 2>&1; then exit 1; fi
grep -q "synthesis engine 'nosuch'" bad-engine.log
"$jstip" data inspect synth --id u2 --wav u2.wav > inspect.log
grep -q '"take two tablets of ibuprofen for migraine"' inspect.log
grep -q 'entity disease: "migraine"' inspect.log
# The text as written, markup stripped, and each word's written form beside it where it differs.
grep -q '^  written: "Take 2 tablets of ibuprofen for migraine."$' inspect.log
grep -Eq '^ +[0-9.]+ +[0-9.]+  two  2$' inspect.log
grep -Eq '^ +[0-9.]+ +[0-9.]+  migraine  migraine\.$' inspect.log
test -s u2.wav
# --export: every record as ID.wav plus records.jsonl (a `jstip eval --hyp` file once hypotheses are added).
"$jstip" data inspect synth --limit -1 --export exported > export.log
grep -q "exported 3 records" export.log
test "$(wc -l < exported/records.jsonl)" -eq 3
cmp exported/u2.wav u2.wav
grep -q '"entities":\[{"begin":20,"end":29,"type":"drug"},{"begin":34,"end":42,"type":"disease"}\]' exported/records.jsonl
sed 's/"id"/"hypothesis":"take two tablets of ibuprofen for migraine","id"/' exported/records.jsonl > exported/hyp.jsonl
"$jstip" eval --hyp exported/hyp.jsonl > export-eval.log
grep -q "^entity accuracy" export-eval.log
printf 'u2.wav\tTake two tablets of ibuprofen for migraine\n' > list.tsv
"$jstip" data import --list list.tsv --out imported --no-progress > import.log
grep -q "0 text-only, 1 with audio but without word timings" import.log
"$jstip" data inspect imported | grep -q '^  written: "Take two tablets of ibuprofen for migraine"$'
"$jstip" data import --list list.tsv --out imported-nw --no-written --no-progress > /dev/null
if "$jstip" data inspect imported-nw | grep -q 'written:'; then exit 1; fi
"$jstip" data stats imported | grep -q "timed records 0 of 1 with audio"
printf 'Give [[warfarin|drug]] daily.\nCheck the INR.\n' > domain.txt
# A third column carries metadata (spoken QA answers).
printf 'q1\tWhat is aspirin?\tanswers=a drug|drug;kind=type\n' > qa.tsv
"$jstip" data synth qa.tsv --out qa --no-progress --domain qa > qa.log
grep -q "wrote 1 utterances" qa.log
"$jstip" data inspect qa --id q1 > qa-inspect.log
grep -q '"what is aspirin"' qa-inspect.log
grep -q "answers=a drug|drug" qa-inspect.log
grep -q "kind=type" qa-inspect.log
printf 'q2\tWhat?\tnovalue\n' > bad-meta.tsv
if "$jstip" data synth bad-meta.tsv --out badmeta --no-progress > bad-meta.log 2>&1; then exit 1; fi
grep -q "bad-meta.tsv:1: metadata field 'novalue' is not key=value" bad-meta.log
"$jstip" data import --text domain.txt --out text --domain medical --no-progress | grep -q "2 text-only"
"$jstip" data stats text | grep -q "utterances    2 (2 text-only)"
"$jstip" data inspect imported --full | grep -q "audio: $dir/u2.wav"
"$jstip" data cmvn synth --out cmvn.txt --no-progress | grep -q "from 3 records"
grep -q "^dim 80" cmvn.txt
"$jstip" tokenizer train text.txt synth --out tok --vocab-size 300 --force > tok.log 2>&1
grep -q "tok.model" tok.log
# A corrupted shard is named with its record.
cp synth/synth-00000.shard bad.shard
printf 'X' | dd of=bad.shard bs=1 seek=100 conv=notrunc 2>/dev/null
if "$jstip" data stats bad.shard > bad.log 2>&1; then exit 1; fi
grep -q "bad.shard: record 0" bad.log
"$jstip" data stats bad.shard --skip-bad | grep -q "bad records skipped: 1"
echo "cli ok"
