// jstip features AUDIO --out FILE.npy [--type kaldi_fbank|whisper_mel] [--bins N] [--pad-30s]
//                [--config FILE] [features.KEY=VALUE ...] [--json]
// One audio file's features as a float32 [frames, bins] .npy (numpy.load reads it).
#include <torch/torch.h>

#include <cstdio>

#include "host/cli/command.h"
#include "host/data/audio_io.h"
#include "host/data/feature_extractor.h"
#include "host/data/npy.h"
#include "host/runtime/config_loader.h"
#include "jstip/json.h"

namespace {

using namespace jstip;

const char* kUsage =
    "jstip features AUDIO --out FILE.npy [--type kaldi_fbank|whisper_mel] [--bins N] [--pad-30s]\n"
    "               [--config FILE] [features.KEY=VALUE ...] [--json]\n\n"
    "Writes AUDIO's features as float32 [frames, bins] .npy. The audio is mixed to mono and resampled to\n"
    "16 kHz (soxr) when it is not. whisper_mel gives N // 160 frames for N samples (openai-whisper's\n"
    "log_mel_spectrogram(audio)); with --pad-30s, 3000 (log_mel_spectrogram(audio, padding=480000), then\n"
    "pad_or_trim to 3000), of which min(N // 160, 3000) cover the audio.\n"
    "  --type T        kaldi_fbank (default) or whisper_mel (features.type)\n"
    "  --bins N        mel bins (features.num_bins; whisper_mel: 80 or 128)\n"
    "  --pad-30s       whisper_mel only: pad to 30 s as Whisper's encoder expects (features.pad_30s)\n"
    "  --config FILE   start from its `features` section (a run's or checkpoint's config.yaml)\n"
    "  features.KEY=V  any other option, e.g. features.frame_shift_ms=20 (docs/configuration.md)\n"
    "  --json          print one JSON line: out, frames, covered_frames, bins, samples, seconds, features";

bool flag_value(const cli::Args& args, const std::string& name) {
  const std::string value = args.get(name);
  if (value.empty() || value == "true" || value == "1") return true;
  if (value == "false" || value == "0") return false;
  // The option parser gives a flag it does not know the next word as its value.
  throw std::invalid_argument("--" + name + " takes no value, got '" + value +
                              "' (put --" + name + " last or write --" + name + "=true)");
}

int run_features(const cli::Args& args) {
  const bool pad_30s = args.flag("pad-30s") && flag_value(args, "pad-30s");  // first: it may have eaten --out
  if (args.positional.size() != 1 || args.get("out").empty()) throw std::invalid_argument(std::string("usage: ") + kUsage);
  for (const auto& o : args.overrides)
    if (o.rfind("features.", 0) != 0)
      throw std::invalid_argument("jstip features takes only features.KEY=VALUE overrides, got '" + o + "'");
  // The flags are overrides of the `features` section, so every value is checked in one place (features_options).
  std::vector<std::string> files, overrides;
  if (args.flag("config")) files.push_back(args.get("config"));
  const Config config = host::load_config(files, {});
  if (!config.has("features")) overrides.push_back("features.type=kaldi_fbank");  // the default, made explicit
  if (args.flag("type")) overrides.push_back("features.type=" + args.get("type"));
  if (args.flag("bins")) overrides.push_back("features.num_bins=" + std::to_string(args.get_int("bins", 0)));
  if (pad_30s) overrides.push_back("features.pad_30s=true");
  overrides.insert(overrides.end(), args.overrides.begin(), args.overrides.end());
  for (const auto& o : overrides) host::apply_override(config.node(), o);
  const auto extractor = data::make_feature_extractor(data::features_options(config));

  const std::string audio_path = args.positional[0];
  std::vector<float> samples = data::load_audio_16k(audio_path);
  const auto n = static_cast<int64_t>(samples.size());
  if (extractor->num_frames(n) <= 0)
    throw std::invalid_argument(audio_path + ": " + std::to_string(n) + " samples at 16 kHz are too short for one " +
                                extractor->name() + " frame");
  const torch::Tensor features = extractor->compute(torch::from_blob(samples.data(), {n}, torch::kFloat32));
  const std::string out = args.get("out");
  data::write_npy_float32(out, features);

  if (args.flag("json")) {
    Json j = Json::object();
    j.set("out", Json::string(out));
    j.set("frames", Json::integer(features.size(0)));
    j.set("covered_frames", Json::integer(extractor->covered_frames(n)));
    j.set("bins", Json::integer(features.size(1)));
    j.set("samples", Json::integer(n));
    j.set("seconds", Json::number(double(n) / data::kSampleRate));
    j.set("features", extractor->options_json());
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("wrote %s: %lld frames x %lld bins of %s (%lld cover the %.2f s of audio)\n", out.c_str(),
                static_cast<long long>(features.size(0)), static_cast<long long>(features.size(1)),
                extractor->name().c_str(), static_cast<long long>(extractor->covered_frames(n)),
                double(n) / data::kSampleRate);
  }
  return 0;
}

}  // namespace

JSTIP_COMMAND("features", "Compute one audio file's features (kaldi_fbank or whisper_mel) into a .npy", kUsage,
              run_features);
