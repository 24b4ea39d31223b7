// jstip data inspect SHARD...: print records; export one as a WAV file.
#include <cstdio>
#include <iostream>

#include "host/cli/command.h"
#include "host/data/audio_io.h"
#include "host/data/shard_file.h"
#include "host/data/utterance.h"

namespace {

using namespace jstip::data;

void print_record(const Utterance& r, bool full) {
  std::printf("%s  %.2fs  speaker=%s engine=%s domain=%s split=%s\n  \"%s\"\n", r.id().c_str(), utterance_seconds(r),
              r.speaker().c_str(), r.engine().c_str(), r.domain().c_str(), r.split().c_str(), r.transcript().c_str());
  if (!r.audio_path().empty()) std::printf("  audio: %s [%.2f, %.2f]\n", r.audio_path().c_str(), r.segment_start(), r.segment_end());
  if (full) {
    for (const auto& w : r.words()) {
      if (w.has_timing()) std::printf("    %7.3f %7.3f  %s%s\n", w.start(), w.end(), w.text().c_str(),
                                      w.confidence() > 0 && w.confidence() < 1 ? "  (estimated)" : "");
      else std::printf("          -       -  %s\n", w.text().c_str());
    }
    for (const auto& [key, value] : r.metadata()) std::printf("  %s=%s\n", key.c_str(), value.c_str());
  }
  for (const auto& e : r.entities())
    std::printf("  entity %s: \"%s\"\n", e.type().c_str(),
                r.transcript().substr(e.begin(), e.end() - e.begin()).c_str());
}

int run_inspect(const jstip::cli::Args& args) {
  if (args.positional.empty()) throw std::invalid_argument("usage: jstip data inspect SHARD|DIR... [--id ID] [--wav OUT]");
  const std::string want = args.get("id");
  const int64_t limit = args.get_int("limit", want.empty() ? 10 : -1);
  const std::string wav = args.get("wav");
  int64_t shown = 0;
  for (const auto& path : expand_shard_paths(args.positional)) {
    ShardReader reader(path, {args.flag("skip-bad")});
    Utterance r;
    while (reader.next(&r) && (limit < 0 || shown < limit)) {
      if (!want.empty() && r.id() != want) continue;
      print_record(r, !want.empty() || args.flag("full"));
      ++shown;
      if (!wav.empty()) {
        write_audio(wav, utterance_samples(r), kSampleRate);
        std::printf("  -> wrote %s (16 kHz mono, 16-bit)\n", wav.c_str());
        return 0;
      }
    }
    if (reader.bad_records() > 0) std::printf("%s: %lld bad records skipped\n", path.c_str(), (long long)reader.bad_records());
  }
  if (!want.empty() && shown == 0) {
    std::cerr << "no record with id '" << want << "'\n";
    return 1;
  }
  return 0;
}

}  // namespace

JSTIP_COMMAND("data inspect", "Print shard records (words, timings, entities); export one as WAV",
              "jstip data inspect SHARD|DIR... [--id ID] [--limit 10] [--full] [--wav OUT.wav] [--skip-bad]\n\n"
              "--id prints that record in full; with --wav its audio is written as a playable\n"
              "16 kHz WAV (the first record when no --id is given).",
              run_inspect);
