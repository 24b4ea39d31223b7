#include "host/decode/decode_outputs.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "host/data/text_normalizer.h"
#include "host/eval/trn_io.h"

namespace jstip::decode {

Json hypothesis_json(const DecodedUtterance& u) {
  Json line = Json::object();
  line.set("id", Json::string(u.id));
  line.set("hypothesis", Json::string(u.text));
  line.set("reference", Json::string(u.reference));
  Json entities = Json::array();
  for (const auto& e : u.entities) {
    Json entity = Json::object();
    entity.set("begin", Json::integer(e.begin));
    entity.set("end", Json::integer(e.end));
    entity.set("type", Json::string(e.type));
    entities.push(entity);
  }
  line.set("entities", entities);
  if (!u.speaker.empty()) line.set("speaker", Json::string(u.speaker));
  if (!u.answers.empty()) {
    Json answers = Json::array();
    for (const auto& a : u.answers) answers.push(Json::string(a));
    line.set("answers", answers);
  }
  Json tokens = Json::array();
  for (int32_t t : u.hypothesis.tokens) tokens.push(Json::integer(t));
  line.set("tokens", tokens);
  line.set("log_prob", Json::number(u.hypothesis.log_prob));
  line.set("score", Json::number(u.hypothesis.score));
  line.set("stopped", Json::string(u.hypothesis.ended_with_eos ? "eos" : "max_length"));
  Json timings = Json::object();
  timings.set("audio_seconds", Json::number(u.audio_seconds));
  timings.set("prefix_length", Json::integer(u.prefix_length));
  timings.set("max_new_tokens", Json::integer(u.max_new_tokens));
  timings.set("batch_size", Json::integer(u.batch_size));
  timings.set("batch_seconds", Json::number(u.batch_seconds));
  timings.set("encode_seconds", Json::number(u.encode_seconds));
  timings.set("search_seconds", Json::number(u.search_seconds));
  line.set("timings", timings);
  return line;
}

void write_hypothesis_file(const std::string& path, const std::vector<DecodedUtterance>& utterances) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  for (const auto& u : utterances) out << hypothesis_json(u).dump() << '\n';
  out.flush();
  if (!out) throw std::runtime_error("error while writing " + path);
}

void write_trn_files(const std::string& folder, const std::vector<DecodedUtterance>& utterances, DecodeTask task) {
  std::vector<eval::TrnEntry> ref, hyp;
  for (const auto& u : utterances) {
    const std::string& reference = task == DecodeTask::Qa && !u.answers.empty() ? u.answers.front() : u.reference;
    ref.push_back({u.speaker, u.id, data::normalize_text(reference)});
    hyp.push_back({u.speaker, u.id, data::normalize_text(u.text)});
  }
  eval::write_trn_file((std::filesystem::path(folder) / "ref.trn").string(), ref);
  eval::write_trn_file((std::filesystem::path(folder) / "hyp.trn").string(), hyp);
}

DecodeTotals totals_of(const std::vector<DecodedUtterance>& utterances) {
  DecodeTotals t;
  for (const auto& u : utterances) {
    ++t.utterances;
    t.audio_seconds += u.audio_seconds;
    t.output_tokens += static_cast<int64_t>(u.hypothesis.tokens.size());
    if (!u.hypothesis.ended_with_eos) ++t.stopped_by_length;
  }
  return t;
}

}  // namespace jstip::decode
