// jstip data synth TEXT --out DIR: text lines -> speech with word timings
// from a weighted mix of synthesizer plugins -> shards.
#include <spdlog/spdlog.h>

#include <fstream>
#include <map>
#include <iostream>
#include <sstream>

#include "host/cli/command.h"
#include "host/data/progress_bar.h"
#include "host/data/audio_io.h"
#include "host/data/synthesis_mix.h"
#include "host/runtime/config_loader.h"

namespace {

using namespace jstip::data;

int run_synth(const jstip::cli::Args& args) {
  if (args.positional.size() != 1 || !args.options.count("out"))
    throw std::invalid_argument("usage: jstip data synth TEXT --out DIR (see --help)");
  const std::string input = args.positional[0];
  std::vector<std::string> config_files;
  if (args.options.count("config")) config_files.push_back(args.get("config"));
  const jstip::Config config = jstip::host::load_config(config_files, args.overrides);
  const SynthesisMix synth(config.has("synthesis") ? synthesis_options_from_config(config.child("synthesis"))
                                                   : SynthesisOptions{});

  // Lines: "text", "id<TAB>text" or "id<TAB>text<TAB>key=value;key=value"
  // (metadata); blank lines and "#" comments skipped.
  std::ifstream in(input);
  if (!in) throw std::runtime_error(input + ": cannot open");
  struct Item {
    std::string id, text;
    std::vector<std::pair<std::string, std::string>> metadata;
  };
  std::vector<Item> items;
  std::string line;
  const std::string prefix = args.get("prefix", "synth");
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty() || line[0] == '#') continue;
    const size_t tab = line.find('\t');
    if (tab == std::string::npos) {
      items.push_back({prefix + "-" + std::to_string(number), line, {}});
      continue;
    }
    Item item{line.substr(0, tab), line.substr(tab + 1), {}};
    const size_t tab2 = item.text.find('\t');
    if (tab2 != std::string::npos) {
      std::stringstream fields(item.text.substr(tab2 + 1));
      item.text.resize(tab2);
      for (std::string field; std::getline(fields, field, ';');) {
        if (field.empty()) continue;
        const size_t eq = field.find('=');
        if (eq == std::string::npos || eq == 0)
          throw std::invalid_argument(input + ":" + std::to_string(number) + ": metadata field '" + field +
                                      "' is not key=value");
        item.metadata.push_back({field.substr(0, eq), field.substr(eq + 1)});
      }
    }
    items.push_back(std::move(item));
  }
  const int64_t limit = args.get_int("limit", int64_t(items.size()));
  if (int64_t(items.size()) > limit) items.resize(size_t(limit));

  ShardSetWriter writer(args.get("out"), prefix, args.get_int("per-shard", 1000));
  ProgressBar progress("synth", int64_t(items.size()), !args.flag("no-progress"));
  int64_t failed = 0;
  double seconds = 0;
  std::map<std::string, double> engine_seconds;
  for (size_t i = 0; i < items.size(); ++i) {
    try {
      Utterance record = synth.make_record(items[i].id, items[i].text, i);
      for (const auto& [key, value] : items[i].metadata) (*record.mutable_metadata())[key] = value;
      if (args.options.count("domain")) record.set_domain(args.get("domain"));
      if (args.options.count("split")) record.set_split(args.get("split"));
      seconds += double(record.pcm16().size() / 2) / kSampleRate;
      engine_seconds[record.engine()] += double(record.pcm16().size() / 2) / kSampleRate;
      writer.write(record);
    } catch (const std::exception& e) {
      ++failed;
      spdlog::warn("{}:{} ('{}'): skipped: {}", input, i + 1, items[i].id, e.what());
    }
    progress.update(int64_t(i + 1), std::to_string(int(seconds / 60)) + " min audio");
  }
  writer.close();
  progress.finish();
  std::cout << "wrote " << writer.count() << " utterances (" << seconds / 3600 << " h) in " << writer.paths().size()
            << " shards under " << args.get("out") << "; " << failed << " skipped";
  if (engine_seconds.size() > 1)
    for (const auto& [engine, s] : engine_seconds) std::cout << "; " << engine << " " << s / 3600 << " h";
  std::cout << "\n";
  return failed > 0 && writer.count() == 0 ? 1 : 0;
}

}  // namespace

JSTIP_COMMAND("data synth", "Synthesize speech with word timings (espeak-ng, mbrola, flite, festival) into shards",
              "jstip data synth TEXT --out DIR [--config FILE] [synthesis.KEY=VALUE ...]\n"
              "                 [--prefix synth] [--per-shard 1000] [--domain D] [--split S] [--limit N] [--no-progress]\n\n"
              "TEXT: one utterance per line, \"text\", \"id<TAB>text\" or \"id<TAB>text<TAB>key=value;key=value\"\n"
              "(the third column goes to the record's metadata); entities marked as [[aspirin|drug]].\n"
              "Text is normalized (numbers to words, lower case) before synthesis.\n"
              "Config section `synthesis`: a weighted mix of synthesizer plugins, each with its options\n"
              "(`jstip plugins describe mbrola`):\n"
              "  engines: [{type: espeak-ng, weight: 0.4, variants: [f3, m1]}, {type: mbrola, weight: 0.3},\n"
              "            {type: flite, weight: 0.15, voices: [slt, rms]}, {type: festival, weight: 0.15}]\n"
              "or, without `engines`, espeak-ng alone with its options in the section (voices, variants,\n"
              "rate, pitch, volume). Also noise_probability: 0.2, snr_db: [15, 35], seed: 0, plugin_paths.\n"
              "Engine, voice and prosody are a function of (seed, line index); records carry engine and voice.",
              run_synth);
