#include "host/eval/edit_alignment.h"

#include <algorithm>

namespace jstip::eval {
namespace {

// SCTK word.c wwd_WORD costs (integers keep comparisons exact).
constexpr int64_t kSubstitutionCost = 4;
constexpr int64_t kInsertionCost = 3;
constexpr int64_t kDeletionCost = 3;

enum class Step : uint8_t { Start, Diagonal, Up, Left };  // Up: deletion, Left: insertion

}  // namespace

const char* edit_op_code(EditOp op) {
  switch (op) {
    case EditOp::Correct: return "C";
    case EditOp::Substitution: return "S";
    case EditOp::Deletion: return "D";
    case EditOp::Insertion: return "I";
  }
  return "?";
}

EditCounts& EditCounts::operator+=(const EditCounts& other) {
  correct += other.correct;
  substitutions += other.substitutions;
  deletions += other.deletions;
  insertions += other.insertions;
  return *this;
}

Alignment align_tokens(const std::vector<std::string>& ref, const std::vector<std::string>& hyp) {
  const size_t rows = ref.size() + 1, cols = hyp.size() + 1;
  std::vector<int64_t> cost(rows * cols, 0);
  std::vector<Step> step(rows * cols, Step::Start);
  auto at = [cols](size_t i, size_t j) { return i * cols + j; };
  for (size_t j = 1; j < cols; ++j) {
    cost[at(0, j)] = cost[at(0, j - 1)] + kInsertionCost;
    step[at(0, j)] = Step::Left;
  }
  for (size_t i = 1; i < rows; ++i) {
    cost[at(i, 0)] = cost[at(i - 1, 0)] + kDeletionCost;
    step[at(i, 0)] = Step::Up;
    for (size_t j = 1; j < cols; ++j) {
      const int64_t diagonal = cost[at(i - 1, j - 1)] + (ref[i - 1] == hyp[j - 1] ? 0 : kSubstitutionCost);
      const int64_t deletion = cost[at(i - 1, j)] + kDeletionCost;
      const int64_t insertion = cost[at(i, j - 1)] + kInsertionCost;
      // The order of these tests is sclite's (net_dp.c calculate_internal_cells).
      if (diagonal <= deletion && diagonal <= insertion) {
        cost[at(i, j)] = diagonal;
        step[at(i, j)] = Step::Diagonal;
      } else if (deletion < insertion) {
        cost[at(i, j)] = deletion;
        step[at(i, j)] = Step::Up;
      } else {
        cost[at(i, j)] = insertion;
        step[at(i, j)] = Step::Left;
      }
    }
  }

  Alignment result;
  size_t i = ref.size(), j = hyp.size();
  while (i > 0 || j > 0) {
    AlignedPair pair;
    switch (step[at(i, j)]) {
      case Step::Diagonal:
        pair = {ref[i - 1] == hyp[j - 1] ? EditOp::Correct : EditOp::Substitution, ref[i - 1], hyp[j - 1]};
        --i, --j;
        break;
      case Step::Up:
        pair = {EditOp::Deletion, ref[i - 1], ""};
        --i;
        break;
      case Step::Left:
      case Step::Start:  // unreachable: only (0,0) is Start
        pair = {EditOp::Insertion, "", hyp[j - 1]};
        --j;
        break;
    }
    switch (pair.op) {
      case EditOp::Correct: ++result.counts.correct; break;
      case EditOp::Substitution: ++result.counts.substitutions; break;
      case EditOp::Deletion: ++result.counts.deletions; break;
      case EditOp::Insertion: ++result.counts.insertions; break;
    }
    result.pairs.push_back(std::move(pair));
  }
  std::reverse(result.pairs.begin(), result.pairs.end());
  return result;
}

std::string format_alignment(const Alignment& alignment) {
  std::string ref_line = "REF: ", hyp_line = "HYP: ", eval_line = "EVAL:";
  for (const auto& pair : alignment.pairs) {
    const std::string ref = pair.ref.empty() ? "*" : pair.ref;
    const std::string hyp = pair.hyp.empty() ? "*" : pair.hyp;
    const std::string code = pair.op == EditOp::Correct ? "" : edit_op_code(pair.op);
    // Width in bytes: good enough for padding; UTF-8 text may look ragged.
    const size_t width = std::max({ref.size(), hyp.size(), code.size()});
    ref_line += " " + ref + std::string(width - ref.size(), ' ');
    hyp_line += " " + hyp + std::string(width - hyp.size(), ' ');
    eval_line += " " + code + std::string(width - code.size(), ' ');
  }
  return ref_line + "\n" + hyp_line + "\n" + eval_line + "\n";
}

}  // namespace jstip::eval
