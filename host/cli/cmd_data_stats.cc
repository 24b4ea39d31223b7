// jstip data stats SHARD...: hours, utterances, words, timed records, entities, voices;
// hours by engine and by engine/voice.
#include <cstdio>
#include <map>
#include <set>

#include "host/cli/command.h"
#include "host/data/shard_file.h"
#include "host/data/timing_check.h"
#include "host/data/utterance.h"

namespace {

using namespace jstip::data;

int run_stats(const jstip::cli::Args& args) {
  if (args.positional.empty()) throw std::invalid_argument("usage: jstip data stats SHARD|DIR...");
  int64_t utterances = 0, text_only = 0, words = 0, timed_words = 0, entities = 0, bad = 0, shards = 0;
  int64_t timed_records = 0;  // records with audio whose every word has a timing (word/segment/jstip can use them)
  double seconds = 0;
  std::map<std::string, int64_t> entity_types, domains, splits, engines;
  std::set<std::string> speakers;
  std::map<std::string, double> engine_seconds, voice_seconds;  // voice key: "engine/voice"
  std::map<std::string, TimingAgreement> timing;                // --timing: per engine
  for (const auto& path : expand_shard_paths(args.positional)) {
    ShardReader reader(path, {args.flag("skip-bad")});
    Utterance r;
    while (reader.next(&r)) {
      ++utterances;
      text_only += is_text_only(r) ? 1 : 0;
      seconds += utterance_seconds(r);
      words += r.words_size();
      for (const auto& w : r.words()) timed_words += w.has_timing() ? 1 : 0;
      timed_records += !is_text_only(r) && has_word_timings(r) ? 1 : 0;
      entities += r.entities_size();
      for (const auto& e : r.entities()) ++entity_types[e.type()];
      if (!r.speaker().empty()) speakers.insert(r.speaker());
      ++domains[r.domain().empty() ? "(none)" : r.domain()];
      ++splits[r.split().empty() ? "(none)" : r.split()];
      const std::string engine = r.engine().empty() ? "(none)" : r.engine();
      ++engines[engine];
      if (!is_text_only(r)) {
        engine_seconds[engine] += utterance_seconds(r);
        voice_seconds[engine + "/" + (r.speaker().empty() ? "(none)" : r.speaker())] += utterance_seconds(r);
      }
      if (args.flag("timing") && !is_text_only(r) && has_word_timings(r) && r.words_size() > 0) {
        std::vector<WordSpan> spans;
        for (const auto& w : r.words()) spans.push_back({w.start(), w.end()});
        timing[engine].add(utterance_samples(r), spans);
      }
    }
    bad += reader.bad_records();
    ++shards;
  }
  std::printf("shards        %lld\nutterances    %lld (%lld text-only)\nhours         %.3f\n"
              "words         %lld (%lld with timings)\ntimed records %lld of %lld with audio\nentities      %lld\n"
              "voices/speakers %zu\n",
              (long long)shards, (long long)utterances, (long long)text_only, seconds / 3600, (long long)words,
              (long long)timed_words, (long long)timed_records, (long long)(utterances - text_only),
              (long long)entities, speakers.size());
  auto print_map = [](const char* title, const std::map<std::string, int64_t>& m) {
    std::printf("%s:", title);
    for (const auto& [k, v] : m) std::printf(" %s=%lld", k.c_str(), (long long)v);
    std::printf("\n");
  };
  print_map("entity types", entity_types);
  print_map("domains", domains);
  print_map("splits", splits);
  print_map("engines", engines);
  auto print_hours = [](const char* title, const std::map<std::string, double>& m) {
    std::printf("%s:", title);
    for (const auto& [k, v] : m) std::printf(" %s=%.3f", k.c_str(), v / 3600);
    std::printf("\n");
  };
  print_hours("hours by engine", engine_seconds);
  print_hours("hours by voice", voice_seconds);
  for (const auto& [engine, agreement] : timing) std::printf("timing %s: %s\n", engine.c_str(), agreement.summary().c_str());
  if (bad > 0) std::printf("bad records skipped: %lld\n", (long long)bad);
  return 0;
}

}  // namespace

JSTIP_COMMAND("data stats", "Corpus statistics: hours (by engine and voice), utterances, words, entities",
              "jstip data stats SHARD|DIR... [--skip-bad] [--timing]\n\n"
              "--timing: per engine, how word timings agree with the audio's energy (onset and offset\n"
              "errors of the first and last word, share of pauses that fall on a word boundary, share\n"
              "of word time that is sound; see host/data/timing_check.h).",
              run_stats);
