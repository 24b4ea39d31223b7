#include "bench/suite/decode_flops.h"

#include <cmath>
#include <fstream>
#include <stdexcept>

#include "host/data/fbank.h"

namespace jstip::bench {

Json DecodeFlops::to_json() const {
  Json j = Json::object();
  j.set("encoder", Json::number(encoder));
  j.set("prefill", Json::number(prefill));
  j.set("steps", Json::number(steps));
  j.set("total", Json::number(total()));
  j.set("utterances", Json::integer(utterances));
  j.set("tokens", Json::integer(tokens));
  return j;
}

DecodeFlops decode_flops(const ModelDims& dims, const std::string& hyp_jsonl) {
  std::ifstream in(hyp_jsonl);
  if (!in) throw std::runtime_error(hyp_jsonl + ": cannot open");
  const data::Fbank fbank;  // decoding's features: 25 ms windows every 10 ms at 16 kHz
  const double sample_rate = fbank.options().sample_rate;
  DecodeFlops out;
  int64_t line_number = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_number;
    if (line.empty()) continue;
    const std::string where = hyp_jsonl + ":" + std::to_string(line_number);
    Json record;
    try {
      record = Json::parse(line);
    } catch (const std::exception& e) {
      throw std::runtime_error(where + ": " + e.what());
    }
    const Json* timings = record.find("timings");
    const Json* tokens = record.find("tokens");
    if (!timings || !tokens || !tokens->is_array() || !timings->find("prefix_length"))
      throw std::runtime_error(where + ": expected a hyp.jsonl record with tokens and timings.prefix_length");
    const double audio_seconds = timings->get_double("audio_seconds", 0);
    const int64_t prefix = timings->get_int("prefix_length", 0);
    const auto generated = static_cast<int64_t>(tokens->items().size());
    if (audio_seconds > 0)
      out.encoder += encoder_flops(dims, 1, fbank.num_frames(std::llround(audio_seconds * sample_rate)));
    out.prefill += llm_flops(dims, 1, prefix);
    // Greedy search feeds back every token it keeps; a row stopped by its
    // length limit does not feed its last one.
    const int64_t fed = record.get_string("stopped", "") == "eos" ? generated : std::max<int64_t>(0, generated - 1);
    for (int64_t k = 1; k <= fed; ++k) out.steps += llm_decode_step_flops(dims, 1, prefix + k);
    out.tokens += generated;
    ++out.utterances;
  }
  if (out.utterances == 0) throw std::runtime_error(hyp_jsonl + ": no records");
  return out;
}

}  // namespace jstip::bench
