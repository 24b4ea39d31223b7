#!/usr/bin/env python3
"""Medical domain for jstip's built-in corpora, from WordNet (wordnet-base).

A typed lexicon: every lower-case, alphabetic lemma (1-3 words) below a few
WordNet synsets becomes an entity of a type:

  drug       below medicine/medication (03740161)
  procedure  below medical_procedure, surgical operation, diagnostic test
  symptom    below symptom, pain
  disease    below disease, illness, infection, disorder
  anatomy    below body_part (noun.body)

The N most frequent terms per type (WordNet sense-tagged counts, then
shorter, then a seeded draw) form the lexicon of a size. Each type's terms
are split by seed: `train` terms may occur in ASR training pairs, `unseen`
terms never do (nor in dev); they occur in the domain text and in half of
the medical test sentences. Sentences are clinical-note templates
(medical_templates.txt) x lexicon, entities marked [[term|type]].

Writes OUT/lexicon.tsv (term, type, split, hypernym), asr_train.txt,
asr_dev.txt, test.txt, heldout.txt ("id<TAB>text<TAB>entities=seen|unseen"
for the test lists), text.txt (domain text) and report.json.
"""
import argparse
import collections
import hashlib
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from textutil import norm_key, write_atomic  # noqa: E402

# type -> (root synset offsets, allowed lexicographer files or None)
ROOTS = [
    ("drug", ["03740161"], {"06"}),
    ("procedure", ["01024392", "00671351", "05739043"], None),
    ("symptom", ["14299637", "14322699"], {"26"}),
    ("disease", ["14070360", "14061805", "14174549", "14052403"], {"26"}),
    ("anatomy", ["05220461"], {"08"}),
]
TYPE_WORD = {"drug": "drug", "procedure": "procedure", "symptom": "symptom", "disease": "disease",
             "anatomy": "body part"}
# Slang WordNet does not mark with a usage domain.
BLOCKED = {"pussy", "cunt", "twat", "prick", "dick", "cock", "tit", "tits", "boob", "boobs", "arse", "ass", "butt",
           "bum", "crotch", "knocker", "knockers", "bollocks", "balls", "nuts", "jugs", "snatch", "beaver", "fanny",
           "pecker", "peter", "tail", "buns", "can", "keister", "rump", "bottom", "rear", "derriere", "booty"}
FILLERS = {
    "dose": ["5", "10", "20", "25", "40", "50", "100", "200", "250", "500"],
    "times": ["once", "twice", "three times", "four times"],
    "days": [str(n) for n in range(2, 15)],
    "age": [str(n) for n in range(18, 91)],
    "side": ["left", "right"],
    "when": ["yesterday", "last night", "this morning", "two weeks ago", "monday", "friday", "last month"],
    "sex": ["male", "female", "man", "woman"],
}


def read_wordnet(folder):
    synsets = {}
    with open(os.path.join(folder, "data.noun"), encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):
                continue
            head, _, gloss = line.partition(" | ")
            fields = head.split()
            offset, lexfile, n_words = fields[0], fields[1], int(fields[3], 16)
            words = [fields[4 + 2 * k] for k in range(n_words)]
            k = 4 + 2 * n_words
            n_ptrs = int(fields[k])
            hypo, hyper = [], []
            informal = set()  # word indexes (0 = the whole synset) with a usage domain: slang, trademark, ...
            for p in range(n_ptrs):
                symbol, target, pos, source_target = fields[k + 1 + 4 * p:k + 5 + 4 * p]
                if symbol == ";u":
                    informal.add(int(source_target[:2], 16))
                if pos != "n":
                    continue
                if symbol in ("~", "~i"):
                    hypo.append(target)
                elif symbol in ("@", "@i"):
                    hyper.append(target)
            synsets[offset] = (lexfile, words, hypo, hyper, informal)
    tagged = collections.Counter()
    first_sense = {}
    with open(os.path.join(folder, "index.noun"), encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith("  "):
                continue
            fields = line.split()
            n_ptrs = int(fields[3])
            tagged[fields[0]] = int(fields[5 + n_ptrs])
            first_sense[fields[0]] = fields[6 + n_ptrs]
    return synsets, tagged, first_sense


def pronounceable(term):
    words = term.split()
    return (1 <= len(words) <= 3 and 4 <= len(term) <= 30 and re.fullmatch(r"[a-z ]+", term) is not None
            and all(len(w) >= 3 and re.search(r"[aeiouy]", w) for w in words))


def build_lexicon(synsets, tagged, first_sense):
    typed = {}  # term -> (type, hypernym, rank key)
    for type_name, roots, lexfiles in ROOTS:
        seen, stack = set(roots), list(roots)
        while stack:
            offset = stack.pop()
            lexfile, words, hypo, hyper, informal = synsets[offset]
            for child in hypo:
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
            if offset in roots or 0 in informal or (lexfiles and lexfile not in lexfiles):
                continue
            parent = ""
            for h in hyper:
                name = synsets[h][1][0].split("(")[0].replace("_", " ")
                if re.fullmatch(r"[a-z ]+", name):
                    parent = name
                    break
            for index, raw in enumerate(words, 1):
                if index in informal:
                    continue
                lemma = raw.split("(")[0]
                term = lemma.replace("_", " ")
                # Only terms whose first (most frequent) noun sense is this one:
                # "stick" or "member" are not anatomy to a listener.
                if term in typed or term in BLOCKED or not pronounceable(term) or term == parent or first_sense.get(lemma) != offset:
                    continue
                typed[term] = (type_name, parent, tagged[lemma])
    return typed


def stable_hash(seed, text):
    return hashlib.sha256(f"{seed}:{text}".encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--wordnet", default="/usr/share/wordnet")
    ap.add_argument("--templates", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                        "medical_templates.txt"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--terms-per-type", type=int, default=0, help="0 = every term")
    ap.add_argument("--unseen-share", type=float, default=0.5, help="share of each type's terms held out of ASR pairs")
    ap.add_argument("--train", type=int, required=True)
    ap.add_argument("--dev", type=int, required=True)
    ap.add_argument("--test", type=int, required=True)
    ap.add_argument("--heldout", type=int, required=True)
    ap.add_argument("--text-per-term", type=int, default=4, help="domain-text sentences per lexicon term")
    args = ap.parse_args()

    with open(args.templates, encoding="utf-8") as f:
        templates = [line.strip() for line in f if line.strip() and not line.startswith("#")]
    slot = re.compile(r"\{(\w+)\}")
    synsets, tagged, first_sense = read_wordnet(args.wordnet)
    typed = build_lexicon(synsets, tagged, first_sense)
    # A term that the templates (or fillers) say as plain words ("swelling",
    # "lesion") would be heard in training pairs whatever its split: drop it.
    plain = [" " + norm_key(slot.sub(" | ", t)) + " " for t in templates]
    plain += [" " + w + " " for values in FILLERS.values() for w in values]
    typed = {t: v for t, v in typed.items() if not any(" " + t + " " in k for k in plain)}
    rng = random.Random(args.seed)
    lexicon = {}  # type -> {"train": [...], "unseen": [...]}
    rows = []
    for type_name, _, _ in ROOTS:
        terms = [t for t, v in typed.items() if v[0] == type_name]
        terms.sort(key=lambda t: (-typed[t][2], len(t.split()), stable_hash(args.seed, t)))
        if args.terms_per_type:
            terms = terms[:args.terms_per_type]
        terms.sort()
        rng.shuffle(terms)
        n_unseen = int(round(len(terms) * args.unseen_share))
        lexicon[type_name] = {"unseen": sorted(terms[:n_unseen]), "train": sorted(terms[n_unseen:])}
    # A train term that contains an unseen one ("face powder", "face") would
    # let the unseen one be heard in training: drop it.
    unseen = [" " + t + " " for d in lexicon.values() for t in d["unseen"]]
    for type_name, d in lexicon.items():
        d["train"] = [t for t in d["train"] if not any(u in " " + t + " " for u in unseen)]
        for split in ("train", "unseen"):
            rows += [(t, type_name, split, typed[t][1]) for t in d[split]]
    rows.sort()


    def fill(template, splits, force=None):
        """Fill a template; entities from `splits`; `force` = (type, term) for the first slot of that type."""
        def one(m):
            name = m.group(1)
            if name in FILLERS:
                return rng.choice(FILLERS[name])
            nonlocal force
            if force and force[0] == name:
                term, force = force[1], None
            else:
                term = rng.choice([t for s in splits for t in lexicon[name][s]])
            return f"[[{term}|{name}]]"
        return slot.sub(one, template)

    def sentences(n, splits, taken, tag, meta=None):
        out, tries = [], 0
        while len(out) < n:
            tries += 1
            if tries > 50 * n + 1000:
                sys.exit(f"medical: cannot make {n} distinct {tag} sentences from the templates")
            text = fill(rng.choice(templates), splits)
            key = norm_key(text)
            if key in taken:
                continue
            taken.add(key)
            out.append(f"med-{tag}-{len(out):06d}\t{text}" + (f"\tentities={meta}" if meta else "") + "\n")
        return out

    taken = set()
    test = []
    for k in range(args.test):  # alternate: unseen-entity and seen-entity sentences
        group = "unseen" if k % 2 == 0 else "train"
        line = sentences(1, [group], taken, "test", "unseen" if group == "unseen" else "seen")[0]
        test.append(line.replace("med-test-000000", f"med-test-{k:06d}"))
    heldout = []
    for k in range(args.heldout):
        group = "unseen" if k % 2 == 0 else "train"
        line = sentences(1, [group], taken, "heldout", "unseen" if group == "unseen" else "seen")[0]
        heldout.append(line.replace("med-heldout-000000", f"med-heldout-{k:06d}"))
    dev = sentences(args.dev, ["train"], taken, "dev")
    train = sentences(args.train, ["train"], taken, "train")

    # Domain text: every term (both splits) several times, then nothing that
    # is a test sentence.
    text = []
    for type_name, _, _ in ROOTS:
        usable = [t for t in templates if "{" + type_name + "}" in t]
        for split in ("train", "unseen"):
            for term in lexicon[type_name][split]:
                made = 0
                for _ in range(args.text_per_term * 20):
                    if made == args.text_per_term:
                        break
                    line = fill(rng.choice(usable), ["train", "unseen"], force=(type_name, term))
                    key = norm_key(line)
                    if key in taken:
                        continue
                    taken.add(key)
                    text.append(line)
                    made += 1
    rng.shuffle(text)
    text = [f"med-text-{k:07d}\t{line}\n" for k, line in enumerate(text)]

    os.makedirs(args.out, exist_ok=True)
    write_atomic(os.path.join(args.out, "lexicon.tsv"),
                 "term\ttype\tsplit\thypernym\n" + "".join("\t".join(r) + "\n" for r in rows))
    for name, lines in (("asr_train", train), ("asr_dev", dev), ("test", test), ("heldout", heldout),
                        ("text", text)):
        write_atomic(os.path.join(args.out, f"{name}.txt"), "".join(lines))
    report = {
        "source": "Debian wordnet-base (WordNet 3.0 noun hierarchy)",
        "templates": len(templates),
        "wordnet_terms_by_type": dict(collections.Counter(v[0] for v in typed.values())),
        "lexicon_by_type_and_split": {t: {s: len(v) for s, v in d.items()} for t, d in lexicon.items()},
        "asr_train": len(train), "asr_dev": len(dev), "test": len(test), "heldout": len(heldout),
        "text_lines": len(text),
        "text_words": sum(len(norm_key(line.split("\t")[1]).split()) for line in text),
    }
    write_atomic(os.path.join(args.out, "report.json"), json.dumps(report, indent=2) + "\n")
    print(f"medical: {len(rows)} lexicon terms; {len(train)} train, {len(dev)} dev, {len(test)} test, "
          f"{len(heldout)} heldout, {len(text)} text sentences")


if __name__ == "__main__":
    main()
