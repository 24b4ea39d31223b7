// jstip data inspect SHARD...: print records; export one as a WAV file, or
// many as WAV files plus the records' references (for scoring another ASR
// system, e.g. recipes/pocketsphinx_baseline.sh, with `jstip eval`).
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "host/cli/command.h"
#include "host/data/audio_io.h"
#include "host/data/shard_file.h"
#include "host/data/utterance.h"
#include "jstip/json.h"

namespace {

using namespace jstip::data;

void print_record(const Utterance& r, bool full) {
  std::printf("%s  %.2fs  speaker=%s engine=%s domain=%s split=%s\n  \"%s\"\n", r.id().c_str(), utterance_seconds(r),
              r.speaker().c_str(), r.engine().c_str(), r.domain().c_str(), r.split().c_str(), r.transcript().c_str());
  if (!r.written().empty()) std::printf("  written: \"%s\"\n", r.written().c_str());
  if (!r.audio_path().empty()) std::printf("  audio: %s [%.2f, %.2f]\n", r.audio_path().c_str(), r.segment_start(), r.segment_end());
  if (full) {
    for (const auto& w : r.words()) {
      // The written form beside the word where it differs ("dr  Dr.").
      const std::string written = w.written().empty() || w.written() == w.text() ? "" : "  " + w.written();
      if (w.has_timing()) std::printf("    %7.3f %7.3f  %s%s%s\n", w.start(), w.end(), w.text().c_str(), written.c_str(),
                                      w.confidence() > 0 && w.confidence() < 1 ? "  (estimated)" : "");
      else std::printf("          -       -  %s%s\n", w.text().c_str(), written.c_str());
    }
    for (const auto& [key, value] : r.metadata()) std::printf("  %s=%s\n", key.c_str(), value.c_str());
  }
  for (const auto& e : r.entities())
    std::printf("  entity %s: \"%s\"\n", e.type().c_str(),
                r.transcript().substr(e.begin(), e.end() - e.begin()).c_str());
}

// One line of DIR/records.jsonl: the fields of `jstip eval --hyp` but the hypothesis, and the audio file.
jstip::Json record_json(const Utterance& r, const std::string& wav) {
  using jstip::Json;
  Json line = Json::object();
  line.set("id", Json::string(r.id()));
  line.set("reference", Json::string(r.transcript()));
  Json entities = Json::array();
  for (const auto& e : r.entities()) {
    Json entity = Json::object();
    entity.set("begin", Json::integer(e.begin()));
    entity.set("end", Json::integer(e.end()));
    entity.set("type", Json::string(e.type()));
    entities.push(entity);
  }
  line.set("entities", entities);
  if (!r.speaker().empty()) line.set("speaker", Json::string(r.speaker()));
  line.set("wav", Json::string(wav));
  return line;
}

int run_inspect(const jstip::cli::Args& args) {
  if (args.positional.empty()) throw std::invalid_argument("usage: jstip data inspect SHARD|DIR... [--id ID] [--wav OUT]");
  const std::string want = args.get("id");
  const int64_t limit = args.get_int("limit", want.empty() ? 10 : -1);
  const std::string wav = args.get("wav");
  const std::string export_dir = args.get("export");
  std::string records;  // records.jsonl, written once every WAV is there
  if (!export_dir.empty()) std::filesystem::create_directories(export_dir);
  int64_t shown = 0;
  for (const auto& path : expand_shard_paths(args.positional)) {
    ShardReader reader(path, {args.flag("skip-bad")});
    Utterance r;
    while (reader.next(&r) && (limit < 0 || shown < limit)) {
      if (!want.empty() && r.id() != want) continue;
      ++shown;
      if (!export_dir.empty()) {
        const std::string file = (std::filesystem::path(export_dir) / (r.id() + ".wav")).string();
        write_audio(file, utterance_samples(r), kSampleRate);
        records += record_json(r, file).dump() + "\n";
        continue;
      }
      print_record(r, !want.empty() || args.flag("full"));
      if (!wav.empty()) {
        write_audio(wav, utterance_samples(r), kSampleRate);
        std::printf("  -> wrote %s (16 kHz mono, 16-bit)\n", wav.c_str());
        return 0;
      }
    }
    if (reader.bad_records() > 0) std::printf("%s: %lld bad records skipped\n", path.c_str(), (long long)reader.bad_records());
  }
  if (!export_dir.empty()) {
    const std::string path = (std::filesystem::path(export_dir) / "records.jsonl").string();
    {
      std::ofstream out(path + ".tmp", std::ios::binary);
      out << records;
      if (!out.flush()) throw std::runtime_error(path + ".tmp: write failed");
    }
    std::filesystem::rename(path + ".tmp", path);
    std::printf("exported %lld records (16 kHz WAV) and %s\n", (long long)shown, path.c_str());
  }
  if (!want.empty() && shown == 0) {
    std::cerr << "no record with id '" << want << "'\n";
    return 1;
  }
  return 0;
}

}  // namespace

JSTIP_COMMAND("data inspect", "Print shard records (words, timings, entities); export one as WAV",
              "jstip data inspect SHARD|DIR... [--id ID] [--limit 10] [--full] [--wav OUT.wav] [--export DIR] [--skip-bad]\n\n"
              "--id prints that record in full; with --wav its audio is written as a playable\n"
              "16 kHz WAV (the first record when no --id is given).\n"
              "--export DIR writes every record (up to --limit; -1 = all) as DIR/ID.wav and\n"
              "DIR/records.jsonl: id, reference, entities, speaker, wav: a `jstip eval --hyp`\n"
              "file once a \"hypothesis\" is added to each line (another ASR system's output).",
              run_inspect);
