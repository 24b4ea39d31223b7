#!/usr/bin/env bash
# recipes/make_data.sh --size tiny, checked; a second run skips every step and
# changes nothing; the text lists are a function of the seed.
# Usage: recipe_test.sh JSTIP SCRATCH
set -euo pipefail
jstip=$1
scratch=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
rm -rf "$scratch/tiny" "$scratch/again"
mkdir -p "$scratch"
bash "$root/recipes/make_data.sh" --size tiny --out "$scratch/tiny" --sources "$scratch/sources" --jstip "$jstip" --jobs 2
python3 "$root/recipes/lib/check_data.py" "$scratch/tiny" "$jstip"

# Re-run: nothing to redo, nothing changed.
before=$(cd "$scratch/tiny" && find . -type f ! -path './logs/*' -print0 | sort -z | xargs -0 sha256sum)
log=$(bash "$root/recipes/make_data.sh" --size tiny --out "$scratch/tiny" --sources "$scratch/sources" --jstip "$jstip")
after=$(cd "$scratch/tiny" && find . -type f ! -path './logs/*' -print0 | sort -z | xargs -0 sha256sum)
[ "$before" = "$after" ] || { echo "re-run changed files"; exit 1; }
if echo "$log" | grep -q -e "->" -e "general text:" -e "tokenizer:"; then echo "re-run redid steps: $log"; exit 1; fi

# Same seed, same lists; another seed, other lists.
lib=$root/recipes/lib
python3 "$lib/medical.py" --out "$scratch/again" --terms-per-type 16 --text-per-term 2 --train 20 --dev 4 --test 10 --heldout 4 > /dev/null
cmp "$scratch/again/lexicon.tsv" "$scratch/tiny/medical/lexicon.tsv"
cmp "$scratch/again/test.txt" "$scratch/tiny/medical/test.txt"
python3 "$lib/medical.py" --out "$scratch/again" --seed 1 --terms-per-type 16 --text-per-term 2 --train 20 --dev 4 --test 10 --heldout 4 > /dev/null
if cmp -s "$scratch/again/test.txt" "$scratch/tiny/medical/test.txt"; then echo "seed 1 gave the same test list"; exit 1; fi
echo "recipe ok"
