// jstip data stats SHARD...: hours, utterances, words, timed records, entities, voices.
#include <cstdio>
#include <map>
#include <set>

#include "host/cli/command.h"
#include "host/data/shard_file.h"
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
      ++engines[r.engine().empty() ? "(none)" : r.engine()];
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
  if (bad > 0) std::printf("bad records skipped: %lld\n", (long long)bad);
  return 0;
}

}  // namespace

JSTIP_COMMAND("data stats", "Corpus statistics: hours, utterances, words, entities, voices",
              "jstip data stats SHARD|DIR... [--skip-bad]", run_stats);
