// Levenshtein alignment of two token sequences (words for WER, characters for
// CER) that reproduces NIST sclite exactly: same costs (correct 0,
// substitution 4, insertion 3, deletion 3, from SCTK word.c wwd_WORD) and
// the same tie-breaking (SCTK net_dp.c: diagonal first when it is no worse,
// then deletion only when strictly cheaper than insertion). Equal total cost
// can hide different S/D/I counts, so the tie rule matters for matching sclite.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace jstip::eval {

enum class EditOp { Correct, Substitution, Deletion, Insertion };

// "C", "S", "D", "I".
const char* edit_op_code(EditOp op);

struct AlignedPair {
  EditOp op = EditOp::Correct;
  std::string ref;  // empty for an insertion
  std::string hyp;  // empty for a deletion
};

struct EditCounts {
  int64_t correct = 0, substitutions = 0, deletions = 0, insertions = 0;

  int64_t errors() const { return substitutions + deletions + insertions; }
  int64_t reference_length() const { return correct + substitutions + deletions; }
  EditCounts& operator+=(const EditCounts& other);
};

struct Alignment {
  std::vector<AlignedPair> pairs;  // in order
  EditCounts counts;
};

Alignment align_tokens(const std::vector<std::string>& ref, const std::vector<std::string>& hyp);

// sclite-style three lines: "REF: ...", "HYP: ...", "EVAL: ..." with columns
// padded to the same width and "*" for a missing token.
std::string format_alignment(const Alignment& alignment);

}  // namespace jstip::eval
