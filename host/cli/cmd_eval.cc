// jstip eval --hyp HYP.jsonl [--out DIR] [--task asr|qa]: scores decoder
// output (host/eval/hypothesis_file.h). ASR: WER, CER and entity accuracy
// (overall and per type) with bootstrap 95% intervals; with --out, the
// per-utterance alignments, NIST trn files for sclite and summary.json.
// QA: normalized exact match and answer containment against "answers".
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "host/cli/command.h"
#include "host/eval/bootstrap.h"
#include "host/eval/entity_accuracy.h"
#include "host/eval/hypothesis_file.h"
#include "host/eval/qa_scoring.h"
#include "host/eval/trn_io.h"
#include "host/eval/wer.h"
#include "jstip/json.h"

namespace {

using namespace jstip::eval;
using jstip::Json;

Json interval_json(const ConfidenceInterval& ci) {
  Json j = Json::object();
  j.set("estimate", Json::number(ci.estimate));
  j.set("lower", Json::number(ci.lower));
  j.set("upper", Json::number(ci.upper));
  return j;
}

void print_rate(const char* name, const ConfidenceInterval& ci, const std::string& detail) {
  std::printf("%-22s %6.2f%%  [95%% CI %6.2f, %6.2f]  %s\n", name, 100 * ci.estimate, 100 * ci.lower,
              100 * ci.upper, detail.c_str());
}

std::string counts_text(const EditCounts& c) {
  return "(C " + std::to_string(c.correct) + ", S " + std::to_string(c.substitutions) + ", D " +
         std::to_string(c.deletions) + ", I " + std::to_string(c.insertions) + ", N " +
         std::to_string(c.reference_length()) + ")";
}

Json counts_json(const EditCounts& c) {
  Json j = Json::object();
  j.set("correct", Json::integer(c.correct));
  j.set("substitutions", Json::integer(c.substitutions));
  j.set("deletions", Json::integer(c.deletions));
  j.set("insertions", Json::integer(c.insertions));
  return j;
}

std::vector<RatioSample> error_samples(const CorpusErrors& corpus, bool characters) {
  std::vector<RatioSample> samples;
  for (const auto& u : corpus.utterances) {
    const EditCounts& c = characters ? u.characters.counts : u.words.counts;
    samples.push_back({static_cast<double>(c.errors()), static_cast<double>(c.reference_length())});
  }
  return samples;
}

void write_text_file(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

int run_qa(const std::vector<HypothesisRecord>& records, const BootstrapOptions& options, const std::string& path,
           Json* summary) {
  QaCounts counts;
  std::vector<RatioSample> exact, contained;
  for (const auto& r : records) {
    if (r.answers.empty()) throw std::runtime_error(path + ": record '" + r.id + "' has no \"answers\" for --task qa");
    const QaJudgement j = judge_answer(r.hypothesis, r.answers);
    counts.add(j);
    exact.push_back({j.exact_match ? 1.0 : 0.0, 1.0});
    contained.push_back({j.contains_answer ? 1.0 : 0.0, 1.0});
  }
  const auto exact_ci = bootstrap_ratio(exact, options);
  const auto contained_ci = bootstrap_ratio(contained, options);
  std::printf("questions              %lld\n", static_cast<long long>(counts.questions));
  print_rate("exact match", exact_ci, std::to_string(counts.exact_matches) + " of " + std::to_string(counts.questions));
  print_rate("answer containment", contained_ci,
             std::to_string(counts.containments) + " of " + std::to_string(counts.questions));
  summary->set("questions", Json::integer(counts.questions));
  summary->set("exact_match", interval_json(exact_ci));
  summary->set("containment", interval_json(contained_ci));
  return 0;
}

int run_asr(const std::vector<HypothesisRecord>& records, const BootstrapOptions& options, const std::string& out_dir,
            Json* summary) {
  std::vector<ScoringPair> pairs;
  for (const auto& r : records) pairs.push_back({r.id, r.reference, r.hypothesis});
  const CorpusErrors corpus = score_corpus(pairs);

  // Entities: judged once per utterance; per-utterance counts feed the bootstrap.
  std::vector<std::vector<EntityResult>> judged;
  std::vector<RatioSample> entity_samples;
  std::vector<EntityCounts> utterance_entities;  // also written per utterance into alignments.txt
  std::map<std::string, EntityCounts> type_totals;
  EntityCounts entity_total;
  for (const auto& r : records) {
    judged.push_back(judge_entities(r.id, r.reference, r.hypothesis, r.entities));
    const EntityCounts c = count_entities(judged.back());
    utterance_entities.push_back(c);
    entity_total += c;
    entity_samples.push_back({static_cast<double>(c.found), static_cast<double>(c.total)});
    for (const auto& [type, tc] : count_entities_by_type(judged.back())) type_totals[type] += tc;
  }
  std::map<std::string, std::vector<RatioSample>> type_samples;
  for (const auto& results : judged) {
    const auto by_type = count_entities_by_type(results);
    for (const auto& [type, unused] : type_totals) {
      const auto it = by_type.find(type);
      const EntityCounts c = it == by_type.end() ? EntityCounts{} : it->second;
      type_samples[type].push_back({static_cast<double>(c.found), static_cast<double>(c.total)});
    }
  }

  const auto wer_ci = bootstrap_ratio(error_samples(corpus, false), options);
  const auto cer_ci = bootstrap_ratio(error_samples(corpus, true), options);
  std::printf("utterances             %zu\n", records.size());
  print_rate("WER", wer_ci, counts_text(corpus.words));
  print_rate("CER", cer_ci, counts_text(corpus.characters));
  summary->set("utterances", Json::integer(static_cast<int64_t>(records.size())));
  summary->set("wer", interval_json(wer_ci));
  summary->set("word_counts", counts_json(corpus.words));
  summary->set("cer", interval_json(cer_ci));
  summary->set("character_counts", counts_json(corpus.characters));
  if (entity_total.total > 0) {
    const auto entity_ci = bootstrap_ratio(entity_samples, options);
    print_rate("entity accuracy", entity_ci,
               std::to_string(entity_total.found) + " of " + std::to_string(entity_total.total));
    Json entities = Json::object(), by_type = Json::object();
    entities.set("overall", interval_json(entity_ci));
    entities.set("found", Json::integer(entity_total.found));
    entities.set("total", Json::integer(entity_total.total));
    for (const auto& [type, totals] : type_totals) {
      const auto ci = bootstrap_ratio(type_samples[type], options);
      print_rate(("  " + type).c_str(), ci, std::to_string(totals.found) + " of " + std::to_string(totals.total));
      Json type_json = interval_json(ci);
      type_json.set("found", Json::integer(totals.found));
      type_json.set("total", Json::integer(totals.total));
      by_type.set(type, type_json);
    }
    entities.set("by_type", by_type);
    summary->set("entity_accuracy", entities);
  } else {
    std::printf("entity accuracy        (no reference entities)\n");
  }

  if (!out_dir.empty()) {
    std::vector<TrnEntry> ref_trn, hyp_trn;
    std::string alignments;
    for (size_t u = 0; u < records.size(); ++u) {
      const auto& scored = corpus.utterances[u];
      ref_trn.push_back({records[u].speaker, scored.id, scored.reference});
      hyp_trn.push_back({records[u].speaker, scored.id, scored.hypothesis});
      // Entity counts per utterance let other tools pair two systems on the same
      // utterances without judging entities again (recipes/lib/paired_bootstrap.py).
      const EntityCounts& e = utterance_entities[u];
      const std::string entities =
          e.total > 0 ? "  entities " + std::to_string(e.found) + " of " + std::to_string(e.total) : "";
      alignments += "id: " + scored.id + "  " + counts_text(scored.words.counts) + entities + "\n" +
                    format_alignment(scored.words) + "\n";
    }
    write_trn_file((std::filesystem::path(out_dir) / "ref.trn").string(), ref_trn);
    write_trn_file((std::filesystem::path(out_dir) / "hyp.trn").string(), hyp_trn);
    write_text_file(std::filesystem::path(out_dir) / "alignments.txt", alignments);
  }
  return 0;
}

int run_eval(const jstip::cli::Args& args) {
  const std::string hyp_path = args.get("hyp");
  if (hyp_path.empty()) throw std::invalid_argument("usage: jstip eval --hyp HYP.jsonl [--out DIR] [--task asr|qa]");
  const std::string task = args.get("task", "asr");
  if (task != "asr" && task != "qa") throw std::invalid_argument("--task: expected asr or qa, got '" + task + "'");
  BootstrapOptions options;
  options.resamples = static_cast<int>(args.get_int("bootstrap", options.resamples));
  options.seed = static_cast<uint64_t>(args.get_int("seed", static_cast<int64_t>(options.seed)));
  const std::string out_dir = args.get("out");
  if (!out_dir.empty()) std::filesystem::create_directories(out_dir);

  const auto records = read_hypothesis_file(hyp_path);
  if (records.empty()) throw std::runtime_error(hyp_path + ": no records");
  Json summary = Json::object();
  summary.set("hypotheses", Json::string(hyp_path));
  summary.set("task", Json::string(task));
  summary.set("bootstrap_resamples", Json::integer(options.resamples));
  summary.set("bootstrap_seed", Json::integer(static_cast<int64_t>(options.seed)));
  const int rc = task == "qa" ? run_qa(records, options, hyp_path, &summary)
                              : run_asr(records, options, out_dir, &summary);
  if (!out_dir.empty()) write_json_file((std::filesystem::path(out_dir) / "summary.json").string(), summary);
  return rc;
}

}  // namespace

JSTIP_COMMAND("eval", "Score decoder output: WER, CER, entity accuracy (or QA accuracy) with 95% CIs",
              "jstip eval --hyp HYP.jsonl [--out DIR] [--task asr|qa] [--bootstrap 1000] [--seed N]\n"
              "  HYP.jsonl lines: {\"id\",\"hypothesis\",\"reference\",\"entities\":[{\"begin\",\"end\",\"type\"}],"
              "\"answers\":[...] (qa)}\n"
              "  --out DIR writes ref.trn, hyp.trn (for sctk sclite), alignments.txt and summary.json",
              run_eval);
