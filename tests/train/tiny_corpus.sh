# Sourced by the process-level training tests: makes a tiny espeak-ng corpus
# (shards/) and a tokenizer (tok.model, 300 pieces with the speech markers)
# in the current folder. Needs $jstip.
cat > text.txt <<'TEXT'
the cat sat on the mat
a doctor gave her aspirin
we walked to the river today
the nurse checked his pulse
open the window please
my brother plays the piano
the patient has a fever
it rained all night long
TEXT
"$jstip" data synth text.txt --out shards --no-progress > /dev/null
"$jstip" tokenizer train text.txt --out tok --vocab-size 300 --symbols '<speech>,</speech>' --force > /dev/null
