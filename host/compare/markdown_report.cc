#include "host/compare/markdown_report.h"

#include <cmath>
#include <cstdio>
#include <functional>
#include <optional>
#include <sstream>

namespace jstip::compare {

namespace {

std::string fixed(double value, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, value);
  return buf;
}

// "23.79 [16.96, 31.78]" in percent; bold estimate when it is the column's best.
std::string interval_cell(const Interval& ci, bool best) {
  const std::string estimate = fixed(100 * ci.estimate, 2);
  return (best ? "**" + estimate + "**" : estimate) + " [" + fixed(100 * ci.lower, 2) + ", " +
         fixed(100 * ci.upper, 2) + "]";
}

// Markdown cells must not break the table.
std::string escape_cell(const std::string& text) {
  std::string out;
  for (char c : text) out += c == '|' ? std::string("\\|") : std::string(1, c);
  return out;
}

const TestScore* find_score(const ConfigRun& run, const std::string& test) {
  for (const auto& s : run.scores)
    if (s.test == test) return &s;
  return nullptr;
}

// One config x test-set table; `value` gives a cell's interval (or none),
// `lower_is_better` picks which estimate is bold (only with 2+ configs).
void interval_table(std::ostringstream& out, const Comparison& c, const std::vector<std::string>& tests,
                    const std::vector<std::string>& headers,
                    const std::function<std::optional<Interval>(const TestScore&)>& value, bool lower_is_better) {
  out << "| config |";
  for (const auto& h : headers) out << " " << escape_cell(h) << " |";
  out << "\n|---|";
  for (size_t i = 0; i < tests.size(); ++i) out << "---:|";
  out << "\n";
  std::vector<std::optional<double>> best(tests.size());
  for (size_t t = 0; t < tests.size(); ++t)
    for (const auto& run : c.runs)
      if (const TestScore* s = find_score(run, tests[t]))
        if (auto ci = value(*s))
          if (!best[t] || (lower_is_better ? ci->estimate < *best[t] : ci->estimate > *best[t])) best[t] = ci->estimate;
  for (const auto& run : c.runs) {
    out << "| " << escape_cell(run.name) << " |";
    for (size_t t = 0; t < tests.size(); ++t) {
      const TestScore* s = find_score(run, tests[t]);
      const auto ci = s ? value(*s) : std::nullopt;
      out << " " << (ci ? interval_cell(*ci, c.runs.size() > 1 && ci->estimate == *best[t]) : "—") << " |";
    }
    out << "\n";
  }
}

}  // namespace

std::string format_duration(double seconds) {
  if (seconds < 60) return fixed(seconds, 1) + " s";
  const auto total = static_cast<int64_t>(std::llround(seconds));
  char buf[64];
  if (total < 3600) {
    std::snprintf(buf, sizeof buf, "%lldm %02llds", static_cast<long long>(total / 60),
                  static_cast<long long>(total % 60));
  } else {
    std::snprintf(buf, sizeof buf, "%lldh %02lldm %02llds", static_cast<long long>(total / 3600),
                  static_cast<long long>(total / 60 % 60), static_cast<long long>(total % 60));
  }
  return buf;
}

std::string markdown_report(const Comparison& c, const std::vector<std::pair<std::string, std::string>>& plots) {
  std::ostringstream out;
  out << "# Strategy comparison\n\n"
      << "Every config trained on the same data and budget, then each test set decoded with its checkpoint"
      << (c.decoding.empty() ? "" : " (" + c.decoding + ")")
      << " and scored by `jstip eval`. Rates in %, 95% bootstrap intervals in brackets; "
         "the best estimate per test set is bold.\n\n";

  std::vector<std::string> tests, wer_headers, entity_tests, entity_headers;
  for (const auto& t : c.tests) {
    tests.push_back(t.name);
    wer_headers.push_back(t.name);
    int64_t entities = 0;
    for (const auto& run : c.runs)
      if (const TestScore* s = find_score(run, t.name); s && s->entity_accuracy)
        entities = std::max(entities, s->entities_total);
    if (entities > 0) {
      entity_tests.push_back(t.name);
      entity_headers.push_back(t.name + " (" + std::to_string(entities) + " entities)");
    }
  }

  out << "## WER % [95% CI]\n\n";
  interval_table(out, c, tests, wer_headers, [](const TestScore& s) { return std::optional<Interval>(s.wer); }, true);

  out << "\n## Entity accuracy % [95% CI]\n\n";
  if (entity_tests.empty()) {
    out << "No test set has reference entities.\n";
  } else {
    interval_table(out, c, entity_tests, entity_headers, [](const TestScore& s) { return s.entity_accuracy; },
                   false);
  }

  out << "\n## Decoding real-time factor\n\n| config |";
  for (const auto& t : tests) out << " " << escape_cell(t) << " |";
  out << "\n|---|";
  for (size_t i = 0; i < tests.size(); ++i) out << "---:|";
  out << "\n";
  for (const auto& run : c.runs) {
    out << "| " << escape_cell(run.name) << " |";
    for (const auto& t : tests) {
      const TestScore* s = find_score(run, t);
      out << " " << (s && s->real_time_factor ? fixed(*s->real_time_factor, 3) : "—") << " |";
    }
    out << "\n";
  }

  out << "\n## Training\n\n| config | steps | wall time | final dev loss | checkpoint decoded |\n"
         "|---|---:|---:|---:|---|\n";
  for (const auto& run : c.runs) {
    out << "| " << escape_cell(run.name) << " | " << run.steps << " | "
        << (run.train_wall_seconds ? format_duration(*run.train_wall_seconds) : "—")
        << (run.reused ? " (reused)" : "") << " | " << (run.final_dev_loss ? fixed(*run.final_dev_loss, 4) : "—")
        << " | " << escape_cell(run.checkpoint)
        << (run.checkpoint_choice.empty() ? "" : " (" + run.checkpoint_choice + ")") << " |\n";
  }

  if (!plots.empty()) {
    out << "\n## Plots\n\n";
    for (const auto& [caption, file] : plots) out << "![" << caption << "](" << file << ")\n";
  }
  return out.str();
}

}  // namespace jstip::compare
