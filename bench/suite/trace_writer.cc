#include "bench/suite/trace_writer.h"

#include <torch/torch.h>

#include <filesystem>
#include <fstream>

namespace jstip::bench {
namespace {

Json int_array(const torch::Tensor& t) {
  Json out = Json::array();
  auto c = t.to(torch::kCPU).to(torch::kLong).contiguous();
  for (int64_t i = 0; i < c.numel(); ++i) out.push(Json::integer(c.data_ptr<int64_t>()[i]));
  return out;
}

// One LLM row as runs of text tokens and speech slices.
Json row_pieces(const train::BatchTrace& trace, int64_t row, int64_t length) {
  const auto& s = trace.spliced;
  auto sources = s.sources[row].contiguous();
  auto tokens = s.tokens[row].to(torch::kCPU).contiguous();
  const int64_t* src = sources.data_ptr<int64_t>();
  const int64_t* tok = tokens.data_ptr<int64_t>();
  Json pieces = Json::array();
  int64_t t = 0;
  while (t < length) {
    Json piece = Json::array();
    if (src[t] < s.text_rows) {
      Json ids = Json::array();
      for (; t < length && src[t] < s.text_rows; ++t) ids.push(Json::integer(tok[t]));
      piece.push(Json::string("text")).push(ids);
    } else {
      const int64_t index = src[t] - s.text_rows, audio_row = index / trace.speech_time;
      const int64_t first = index % trace.speech_time;
      int64_t last = first;
      for (; t < length && src[t] == s.text_rows + audio_row * trace.speech_time + last; ++t) ++last;
      piece.push(Json::string("speech")).push(Json::integer(audio_row)).push(Json::integer(first)).push(Json::integer(last));
    }
    pieces.push(piece);
  }
  return pieces;
}

}  // namespace

void write_trace(const std::string& dir, const train::BatchTrace& trace, const Json& extra) {
  std::filesystem::create_directories(dir);
  Json j = extra;
  if (trace.features.defined()) {
    auto features = trace.features.to(torch::kCPU).to(torch::kFloat).contiguous();
    std::ofstream(dir + "/features.f32", std::ios::binary)
        .write(reinterpret_cast<const char*>(features.data_ptr<float>()), features.numel() * sizeof(float));
    Json shape = Json::array();
    for (auto size : features.sizes()) shape.push(Json::integer(size));
    j.set("features_shape", shape);
    j.set("feature_lengths", int_array(trace.feature_lengths));
    j.set("speech_lengths", int_array(trace.speech_lengths));
    j.set("speech_time", Json::integer(trace.speech_time));
  }
  Json transcripts = Json::array();
  for (const auto& t : trace.transcripts) {
    Json ids = Json::array();
    for (auto id : t) ids.push(Json::integer(id));
    transcripts.push(ids);
  }
  j.set("transcripts", transcripts);
  Json rows = Json::array(), labels = Json::array();
  const auto& lengths = trace.spliced.lengths;
  for (size_t b = 0; b < lengths.size(); ++b) {
    rows.push(row_pieces(trace, static_cast<int64_t>(b), lengths[b]));
    labels.push(int_array(trace.spliced.labels[static_cast<int64_t>(b)].narrow(0, 0, lengths[b])));
  }
  j.set("rows", rows);
  j.set("labels", labels);
  write_json_file(dir + "/layout.json", j);
}

}  // namespace jstip::bench
