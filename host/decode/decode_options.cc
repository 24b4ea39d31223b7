#include "host/decode/decode_options.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "host/runtime/config_loader.h"

namespace jstip::decode {

int64_t max_new_tokens(const SearchOptions& options, double audio_seconds) {
  const double budget = static_cast<double>(options.max_tokens_base) +
                        options.max_tokens_per_second * std::max(0.0, audio_seconds);
  return std::max<int64_t>(0, std::min<int64_t>(options.max_tokens_cap, static_cast<int64_t>(std::ceil(budget))));
}

DecodeSettings decode_settings_from_config(const Config& config) {
  DecodeSettings settings;
  if (!config.has("decode")) return settings;
  const Config section = config.child("decode");
  static const std::vector<std::string> known = {"beam",           "length_penalty", "max_tokens_base",
                                                 "max_tokens_per_second", "max_tokens_cap", "repeat_ngram",
                                                 "repeat_max",     "batch_size",     "device",
                                                 "search",         "ctc_weight",     "ctc_pre_beam",
                                                 "encoder_frames_per_call"};
  for (const auto& key : section.keys()) {
    if (std::find(known.begin(), known.end(), key) != known.end()) continue;
    const std::string suggestion = host::closest_match(key, known);
    throw ConfigError(section.where(key) + ": unknown option 'decode." + key + "'" +
                      (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?"));
  }
  SearchOptions& s = settings.search;
  s.beam = section.get_int("beam", s.beam);
  s.length_penalty = section.get_double("length_penalty", s.length_penalty);
  s.max_tokens_base = section.get_int("max_tokens_base", s.max_tokens_base);
  s.max_tokens_per_second = section.get_double("max_tokens_per_second", s.max_tokens_per_second);
  s.max_tokens_cap = section.get_int("max_tokens_cap", s.max_tokens_cap);
  s.repeat_ngram = section.get_int("repeat_ngram", s.repeat_ngram);
  s.repeat_max = section.get_int("repeat_max", s.repeat_max);
  s.ctc_weight = section.get_double("ctc_weight", s.ctc_weight);
  s.ctc_pre_beam = section.get_int("ctc_pre_beam", s.ctc_pre_beam);
  settings.batch_size = section.get_int("batch_size", settings.batch_size);
  settings.device = section.get_string("device", settings.device);
  settings.encoder_frames_per_call = section.get_int("encoder_frames_per_call", settings.encoder_frames_per_call);
  const std::string searcher = section.get_string("search", "llm");
  if (searcher != "llm" && searcher != "ctc")
    throw ConfigError(section.where("search") + ": decode.search must be llm or ctc, not '" + searcher + "'");
  s.ctc_head_only = searcher == "ctc";
  auto require = [&](bool ok, const std::string& key, const std::string& what) {
    if (!ok) throw ConfigError(section.where(key) + ": decode." + key + " must be " + what);
  };
  require(s.beam >= 1, "beam", ">= 1");
  require(s.max_tokens_base >= 0, "max_tokens_base", ">= 0");
  require(s.max_tokens_per_second >= 0, "max_tokens_per_second", ">= 0");
  require(s.max_tokens_cap >= 1, "max_tokens_cap", ">= 1");
  require(s.repeat_ngram >= 0, "repeat_ngram", ">= 0");
  require(s.repeat_max >= 0, "repeat_max", ">= 0");
  require(s.ctc_weight >= 0 && s.ctc_weight <= 1, "ctc_weight", "in [0, 1]");
  require(s.ctc_pre_beam >= 0, "ctc_pre_beam", ">= 0 (0: every token)");
  require(settings.batch_size >= 1, "batch_size", ">= 1");
  require(settings.encoder_frames_per_call >= 0, "encoder_frames_per_call", ">= 0 (0: by device)");
  return settings;
}

}  // namespace jstip::decode
