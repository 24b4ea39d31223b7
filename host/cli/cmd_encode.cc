// jstip encode MODEL AUDIO --out FILE.npy [--pad-30s] [--frames all|covered]
// Runs a speech encoder on one audio file and writes its output frames as a
// float32 [frames, dim] .npy: what the projector would read. MODEL is a
// pretrained Whisper folder (Hugging Face or CTranslate2, e.g.
// models/whisper-tiny.en) or a checkpoint (its encoder, features and
// feature normalization).
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <filesystem>

#include "host/cli/command.h"
#include "host/data/audio_io.h"
#include "host/data/feature_extractor.h"
#include "host/data/npy.h"
#include "host/decode/decode_model.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/config_loader.h"
#include "host/runtime/plugin_registry.h"
#include "host/runtime/composition.h"
#include "jstip/encoder.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;

const char* kUsage =
    "jstip encode MODEL AUDIO --out FILE.npy [--pad-30s] [--frames all|covered]\n\n"
    "Writes the encoder's output for AUDIO as float32 [frames, dim] .npy.\n"
    "MODEL: a Whisper folder (Hugging Face config.json + safetensors, or CTranslate2 model.bin,\n"
    "       e.g. models/whisper-tiny.en): whisper_mel features with its bins, no normalization;\n"
    "       or a checkpoint (run, checkpoints or step folder): its encoder, features and data.feature_norm,\n"
    "       and the frames its speech-LLM keeps (with pad_30s: those covering the audio).\n"
    "  --pad-30s        pad the audio to 30 s as Whisper was trained (features.pad_30s): the encoder reads\n"
    "                   3000 frames and outputs 1500\n"
    "  --frames all     every frame the encoder outputs (the default; 1500 with --pad-30s)\n"
    "  --frames covered only the frames that cover the audio: ceil((N // 160) / 2) for N samples with\n"
    "                   Whisper's features, padded or not";

struct Encoder {
  std::shared_ptr<SpeechEncoder> encoder;
  std::unique_ptr<data::FeatureExtractor> features;
  // A checkpoint's speech-LLM: its run_encoder normalizes as trained and keeps the covering frames.
  std::shared_ptr<graph::SpeechLLM> model;
};

bool is_checkpoint(const std::string& path) {
  std::error_code ec;
  return fs::exists(fs::path(path) / "config.yaml", ec) || fs::exists(fs::path(path) / "latest", ec) ||
         fs::exists(fs::path(path) / "checkpoints", ec);
}

Encoder pretrained_whisper(const std::string& model, bool pad_30s) {
  Config config = host::load_config({}, {"encoder.type=whisper", "encoder.pretrained=" + model});
  auto registry = host::registry_for(config);
  Encoder e;
  e.encoder = registry->create_as<SpeechEncoder>("whisper", "encoder", config.child("encoder"));
  data::FeatureOptions options;
  options.type = data::FeatureType::WhisperMel;
  options.whisper_mel.num_bins = e.encoder->input_dim();
  options.whisper_mel.pad_30s = pad_30s;
  e.features = data::make_feature_extractor(options);
  return e;
}

Encoder checkpoint_encoder(const std::string& path, bool pad_30s) {
  const std::string folder = decode::resolve_decode_checkpoint(path);
  std::vector<std::string> overrides;
  if (pad_30s) overrides.push_back("features.pad_30s=true");
  const Config config = decode::load_checkpoint_config(folder, overrides);
  decode::DecodeModel loaded = decode::load_decode_model(folder, config, torch::kCPU);
  Encoder e;
  e.encoder = loaded.composition.encoder;
  e.features = data::make_feature_extractor(data::features_options(loaded.composition.config));
  e.model = loaded.model;
  return e;
}

int run_encode(const cli::Args& args) {
  if (args.positional.size() != 2 || args.get("out").empty()) throw std::invalid_argument(std::string("usage: ") + kUsage);
  const std::string model = args.positional[0], audio = args.positional[1], out = args.get("out");
  const bool pad_30s = args.flag("pad-30s");
  const std::string frames = args.get("frames", "all");
  if (frames != "all" && frames != "covered")
    throw std::invalid_argument("--frames: expected all or covered, got '" + frames + "'");

  Encoder e = is_checkpoint(model) ? checkpoint_encoder(model, pad_30s) : pretrained_whisper(model, pad_30s);
  e.encoder->eval();
  std::vector<float> samples = data::load_audio_16k(audio);
  const auto n = static_cast<int64_t>(samples.size());
  if (e.features->num_frames(n) <= 0)
    throw std::invalid_argument(audio + ": " + std::to_string(n) + " samples are too short for one frame");
  e.features->check_fits(n, audio);

  torch::InferenceMode inference;
  const auto waves = torch::from_blob(samples.data(), {1, n}, torch::kFloat32);
  const auto start = std::chrono::steady_clock::now();
  data::FeatureBatch batch = e.features->compute(waves, torch::tensor({n}, torch::kInt64));
  const auto featured = std::chrono::steady_clock::now();
  EncoderOutput encoded = e.model ? e.model->run_encoder(batch.features, batch.lengths, batch.covered)
                                  : e.encoder->encode(batch.features, batch.lengths);
  const auto encoded_at = std::chrono::steady_clock::now();
  auto ms = [](auto from, auto to) { return std::chrono::duration<double, std::milli>(to - from).count(); };
  int64_t kept = encoded.lengths[0].item<int64_t>();
  const int64_t ds = std::max<int64_t>(1, e.encoder->downsampling());
  const int64_t covered = std::min(kept, (batch.covered[0].item<int64_t>() + ds - 1) / ds);
  if (frames == "covered") kept = covered;
  const torch::Tensor hidden = encoded.hidden[0].narrow(0, 0, kept);
  data::write_npy_float32(out, hidden);
  std::printf("wrote %s: %lld frames x %lld (%lld cover the %.2f s of audio; %s features, %lld frames); "
              "features %.1f ms, encoder %.1f ms\n",
              out.c_str(), static_cast<long long>(hidden.size(0)), static_cast<long long>(hidden.size(1)),
              static_cast<long long>(covered), double(n) / data::kSampleRate, e.features->name().c_str(),
              static_cast<long long>(batch.lengths[0].item<int64_t>()), ms(start, featured), ms(featured, encoded_at));
  return 0;
}

}  // namespace

JSTIP_COMMAND("encode", "Run a speech encoder (pretrained Whisper or a checkpoint's) on one audio file",
              kUsage, run_encode);
