#include "host/data/feature_extractor.h"

#include <torch/torch.h>

#include <algorithm>
#include <stdexcept>
#include <vector>

#include "host/data/whisper_mel.h"
#include "host/runtime/config_loader.h"

namespace jstip::data {
namespace {

// Kaldi fbank (fbank.h) behind the interface: its frame counts are its lengths and what covers the audio.
class KaldiFbank final : public FeatureExtractor {
 public:
  explicit KaldiFbank(const FbankOptions& options) : fbank_(options) {}

  FeatureBatch compute(const torch::Tensor& waveforms, const torch::Tensor& lengths) const override {
    auto [features, frames] = fbank_.compute(waveforms, lengths);
    return {features, frames, frames};
  }
  int64_t num_frames(int64_t num_samples) const override { return fbank_.num_frames(num_samples); }
  int64_t num_bins() const override { return fbank_.options().num_bins; }
  double frame_shift_seconds() const override { return double(fbank_.window_shift()) / fbank_.options().sample_rate; }
  std::string name() const override { return "kaldi_fbank"; }
  bool wants_utterance_norm() const override { return true; }
  Json options_json() const override {
    const FbankOptions& o = fbank_.options();
    Json j = Json::object();
    j.set("type", Json::string(name()));
    j.set("num_bins", Json::integer(o.num_bins));
    j.set("frame_length_ms", Json::number(o.frame_length_ms));
    j.set("frame_shift_ms", Json::number(o.frame_shift_ms));
    j.set("preemphasis", Json::number(o.preemphasis));
    j.set("remove_dc_offset", Json::boolean(o.remove_dc_offset));
    j.set("low_freq", Json::number(o.low_freq));
    j.set("high_freq", Json::number(o.high_freq));
    j.set("dither", Json::number(o.dither));
    return j;
  }

 private:
  Fbank fbank_;
};

const std::vector<std::string> kTypes = {"kaldi_fbank", "whisper_mel"};
const std::vector<std::string> kKaldiKeys = {"type",        "num_bins",         "frame_length_ms", "frame_shift_ms",
                                             "preemphasis", "remove_dc_offset", "low_freq",        "high_freq",
                                             "dither"};
const std::vector<std::string> kWhisperKeys = {"type", "num_bins", "pad_30s"};

std::string joined(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ", ") + w;
  return out;
}

void check_keys(const Config& section, const std::string& type, const std::vector<std::string>& allowed) {
  for (const auto& key : section.keys()) {
    if (std::find(allowed.begin(), allowed.end(), key) != allowed.end()) continue;
    const std::string suggestion = host::closest_match(key, allowed);
    throw ConfigError(section.where(key) + ": unknown key 'features." + key + "' for features type " + type +
                      (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?") + " (" + type +
                      " takes: " + joined(allowed) + ")");
  }
}

// A number that must be > 0 (or >= 0): the error names the key and its value.
double checked(const Config& section, const std::string& key, double fallback, bool zero_ok) {
  const double value = section.get_double(key, fallback);
  if (zero_ok ? value < 0 : value <= 0)
    throw ConfigError(section.where(key) + ": features." + key + " must be " + (zero_ok ? ">= 0" : "> 0") + ", got " +
                      section.get_string(key));
  return value;
}

}  // namespace

std::string feature_type_name(FeatureType type) { return type == FeatureType::WhisperMel ? "whisper_mel" : "kaldi_fbank"; }

torch::Tensor FeatureExtractor::compute(const torch::Tensor& waveform) const {
  TORCH_CHECK(waveform.dim() == 1, name(), ": expected one waveform (samples), got ", waveform.sizes());
  const auto lengths = torch::full({1}, waveform.size(0), torch::kInt64);
  return compute(waveform.unsqueeze(0), lengths).features.squeeze(0);
}

void FeatureExtractor::check_fits(int64_t num_samples, const std::string& what) const {
  const int64_t limit = max_samples();
  if (limit <= 0 || num_samples <= limit) return;
  throw std::invalid_argument(what + " is " + std::to_string(double(num_samples) / 16000.0) + " s long; " + name() +
                              " with pad_30s keeps only the first " + std::to_string(limit / 16000) +
                              " s (cut it into shorter utterances, or set features.pad_30s: false)");
}

std::unique_ptr<FeatureExtractor> make_feature_extractor(const FeatureOptions& options) {
  if (options.type == FeatureType::WhisperMel) return std::make_unique<WhisperMel>(options.whisper_mel);
  return std::make_unique<KaldiFbank>(options.kaldi_fbank);
}

FeatureOptions features_options(const Config& config) {
  if (!config.has("features")) return {};
  const ConfigNodePtr section = config.node()->find("features");
  if (section && section->kind != ConfigNode::Kind::Map)  // e.g. `features: whisper_mel`
    throw ConfigError(section->origin + ": the features section needs `type: kaldi_fbank` or `type: whisper_mel`");
  return features_section_options(config.child("features"));
}

FeatureOptions features_section_options(const Config& section) {
  if (!section.is_map() || !section.has("type"))
    throw ConfigError(section.where() + ": the features section needs `type: kaldi_fbank` or `type: whisper_mel`");
  const std::string type = section.get_string("type");
  FeatureOptions options;
  if (type == "kaldi_fbank") {
    check_keys(section, type, kKaldiKeys);
    FbankOptions& o = options.kaldi_fbank;
    o.num_bins = section.get_int("num_bins", o.num_bins);
    if (o.num_bins < 1) throw ConfigError(section.where("num_bins") + ": features.num_bins must be >= 1, got " +
                                          std::to_string(o.num_bins));
    o.frame_length_ms = checked(section, "frame_length_ms", o.frame_length_ms, false);
    o.frame_shift_ms = checked(section, "frame_shift_ms", o.frame_shift_ms, false);
    o.preemphasis = checked(section, "preemphasis", o.preemphasis, true);
    o.remove_dc_offset = section.get_bool("remove_dc_offset", o.remove_dc_offset);
    o.low_freq = checked(section, "low_freq", o.low_freq, true);
    o.high_freq = section.get_double("high_freq", o.high_freq);
    o.dither = checked(section, "dither", o.dither, true);
  } else if (type == "whisper_mel") {
    check_keys(section, type, kWhisperKeys);
    options.type = FeatureType::WhisperMel;
    options.whisper_mel.num_bins = section.get_int("num_bins", options.whisper_mel.num_bins);
    if (options.whisper_mel.num_bins != 80 && options.whisper_mel.num_bins != 128)
      throw ConfigError(section.where("num_bins") +
                        ": features.num_bins must be 80 or 128 for whisper_mel (Whisper's mel filters; 128 for "
                        "large-v3), got " + std::to_string(options.whisper_mel.num_bins));
    options.whisper_mel.pad_30s = section.get_bool("pad_30s", false);
  } else {
    const std::string suggestion = host::closest_match(type, kTypes);
    throw ConfigError(section.where("type") + ": unknown features type '" + type + "'" +
                      (suggestion.empty() ? "" : "; did you mean '" + suggestion + "'?") + " (types: " +
                      joined(kTypes) + ")");
  }
  // What only the extractor itself checks (kaldi_fbank's frequency range and window): named here, at load time.
  try {
    make_feature_extractor(options);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(section.where() + ": features: " + e.what());
  }
  return options;
}

}  // namespace jstip::data
