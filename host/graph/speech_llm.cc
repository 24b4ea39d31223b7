#include "host/graph/speech_llm.h"

#include <torch/torch.h>

#include <algorithm>
#include <utility>

#include "host/data/feature_extractor.h"
#include "host/data/spec_augment.h"
#include "host/graph/ctc_compression.h"
#include "host/runtime/composition.h"
#include "jstip/config.h"
#include "jstip/encoder.h"
#include "jstip/llm.h"
#include "jstip/projector.h"

namespace jstip::graph {

SpeechLLM::SpeechLLM(const host::Composition& composition, double frame_shift_seconds)
    : encoder_(composition.encoder),
      projector_(composition.projector),
      llm_(composition.llm),
      pad_30s_(composition.config.get_bool("features.pad_30s", false)) {
  if (!encoder_ || !projector_ || !llm_)
    throw std::invalid_argument("a speech-LLM needs the encoder, projector and llm slots");
  register_module("encoder", encoder_);
  register_module("projector", projector_);
  register_module("llm", llm_);
  // The `features` section (validated here, before any data is read) gives the frame shift when it is set.
  const auto features = data::make_feature_extractor(data::features_options(composition.config));
  // Query-based projectors (downsampling 0) have no time axis: only whole-utterance spans work.
  mapper_.frame_shift_seconds = composition.config.has("features") ? features->frame_shift_seconds() : frame_shift_seconds;
  mapper_.downsampling = encoder_->downsampling() * std::max<int64_t>(1, projector_->downsampling());
  const std::string norm =
      composition.config.get_string("data.feature_norm", features->wants_utterance_norm() ? "utterance" : "none");
  if (norm != "utterance" && norm != "none")
    throw ConfigError(composition.config.where("data.feature_norm") + ": feature_norm must be utterance or none, not '" +
                      norm + "'");
  if (norm == "utterance" && !features->wants_utterance_norm())
    throw ConfigError(composition.config.where("data.feature_norm") + ": data.feature_norm: utterance would rescale " +
                      features->name() + " features, which a Whisper encoder reads as they are ((log10 + 4) / 4, "
                      "clamped 8 decades below the utterance's peak); remove the key (features.type: " +
                      features->name() + " means none) or set none");
  normalize_features_ = norm == "utterance";
  if (composition.config.has("speech"))
    for (const auto& key : composition.config.child("speech").keys())
      if (key != "compress" && key != "posterior_embedding" && key != "spec_augment")
        throw ConfigError(composition.config.child("speech").where(key) + ": unknown speech key '" + key +
                          "'; the speech section takes: compress, posterior_embedding, spec_augment");
  if (composition.config.has("speech.spec_augment"))
    spec_augment_ = spec_augment_options(composition.config.child("speech.spec_augment"));
  const std::string compress = composition.config.get_string("speech.compress", "none");
  if (compress != "ctc" && compress != "none")
    throw ConfigError(composition.config.where("speech.compress") + ": compress must be ctc or none, not '" +
                      compress + "'");
  compress_by_ctc_ = compress == "ctc";
  if (compress_by_ctc_ && composition.config.get_int("encoder.ctc_vocab", 0) <= 0)
    throw ConfigError(composition.config.where("speech.compress") +
                      ": speech.compress: ctc keeps the frames where the encoder's CTC head fires, but encoder '" +
                      composition.plugin_name("encoder") + "' has no CTC head: set encoder.ctc_vocab");
  posterior_embedding_ = composition.config.get_bool("speech.posterior_embedding", false);
  if (posterior_embedding_ && !compress_by_ctc_)
    throw ConfigError(composition.config.where("speech.posterior_embedding") +
                      ": speech.posterior_embedding adds the embeddings of the CTC head's units to the vectors "
                      "speech.compress: ctc keeps; set speech.compress: ctc");
  if (posterior_embedding_ && composition.config.get_string("trainer.ctc_units", "pieces") != "pieces")
    throw ConfigError(composition.config.where("speech.posterior_embedding") +
                      ": speech.posterior_embedding needs a CTC head over the tokenizer's pieces "
                      "(trainer.ctc_units: pieces), whose ids are the LLM's token ids");
}

std::optional<data::SpecAugmentOptions> spec_augment_options(const Config& section) {
  if (!section.is_map())
    throw ConfigError(section.where() + ": speech.spec_augment must be a map (num_freq_masks, max_freq_width, "
                      "num_time_masks, max_time_width, max_time_ratio; {} for the defaults)");
  static const std::vector<std::string> known = {"num_freq_masks", "max_freq_width", "num_time_masks",
                                                 "max_time_width", "max_time_ratio"};
  for (const auto& key : section.keys())
    if (std::find(known.begin(), known.end(), key) == known.end())
      throw ConfigError(section.where(key) + ": unknown speech.spec_augment key '" + key +
                        "'; it takes num_freq_masks, max_freq_width, num_time_masks, max_time_width, max_time_ratio");
  data::SpecAugmentOptions options;
  options.num_freq_masks = section.get_int("num_freq_masks", options.num_freq_masks);
  options.max_freq_width = section.get_int("max_freq_width", options.max_freq_width);
  options.num_time_masks = section.get_int("num_time_masks", options.num_time_masks);
  options.max_time_width = section.get_int("max_time_width", options.max_time_width);
  options.max_time_ratio = section.get_double("max_time_ratio", options.max_time_ratio);
  for (const auto& [key, value] : {std::pair<const char*, int64_t>{"num_freq_masks", options.num_freq_masks},
                                   {"max_freq_width", options.max_freq_width},
                                   {"num_time_masks", options.num_time_masks},
                                   {"max_time_width", options.max_time_width}})
    if (value < 0) throw ConfigError(section.where(key) + ": speech.spec_augment." + key + " must be >= 0");
  if (options.max_time_ratio < 0 || options.max_time_ratio > 1)
    throw ConfigError(section.where("max_time_ratio") + ": speech.spec_augment.max_time_ratio must be in [0, 1]");
  return options;
}

torch::Tensor normalize_per_utterance(const torch::Tensor& features, const torch::Tensor& lengths) {
  const auto frames = features.size(1);
  auto valid = torch::arange(frames, lengths.options()).unsqueeze(0) < lengths.unsqueeze(1);  // [B, T]
  auto mask = valid.unsqueeze(-1).to(features.dtype());
  auto count = lengths.clamp_min(1).to(features.dtype()).view({-1, 1, 1});
  auto mean = (features * mask).sum(1, true) / count;
  auto centered = (features - mean) * mask;
  auto variance = centered.square().sum(1, true) / count;
  return centered * torch::rsqrt(variance + 1e-5);
}

SpeechEmbeddings SpeechLLM::encode_speech(const torch::Tensor& features, const torch::Tensor& feature_lengths,
                                           const torch::Tensor& covered_frames) {
  return project_encoded(run_encoder(features, feature_lengths, covered_frames));
}

EncoderOutput SpeechLLM::run_encoder(const torch::Tensor& features, const torch::Tensor& feature_lengths,
                                     const torch::Tensor& covered_frames) {
  const torch::Tensor given = feature_lengths.to(features.device()).to(torch::kLong);
  // pad_30s: a row with audio is read whole (0 stays 0: a row without audio).
  const torch::Tensor read = pad_30s_ ? torch::where(given > 0, torch::full_like(given, features.size(1)), given) : given;
  torch::Tensor input = normalize_features_ ? normalize_per_utterance(features, read) : features;
  if (spec_augment_ && is_training()) {
    // The seed comes from torch's generator, which the trainer seeds every
    // step (as for dropout): the same masks after a resume.
    const auto seed = static_cast<uint64_t>(torch::randint(1LL << 62, {1}, torch::kLong).item<int64_t>());
    input = data::spec_augment(input.cpu(), read.cpu(), *spec_augment_, seed).to(input.device());
  }
  EncoderOutput encoded = encoder_->encode(input, read);
  ++encoder_runs_;
  torch::Tensor lengths = encoded.lengths.to(torch::kLong);
  if (pad_30s_) {
    // Keep the output frames that cover the audio; the rest saw only padding.
    const torch::Tensor covered =
        (covered_frames.defined() ? covered_frames : feature_lengths).to(lengths.device()).to(torch::kLong);
    const int64_t factor = std::max<int64_t>(1, encoder_->downsampling());
    lengths = torch::minimum(lengths, torch::div(covered + (factor - 1), factor, "floor"));
  }
  const int64_t longest = lengths.numel() > 0 ? lengths.max().item<int64_t>() : 0;
  if (longest <= 0) return {encoded.hidden, lengths, encoded.ctc_logits};
  auto keep = [&](const torch::Tensor& frames) -> torch::Tensor {
    if (!frames.defined()) return frames;
    auto cut = frames.narrow(1, 0, std::min<int64_t>(longest, frames.size(1)));
    auto valid = torch::arange(cut.size(1), lengths.options()).unsqueeze(0) < lengths.unsqueeze(1);  // [B, T']
    return cut.masked_fill(valid.logical_not().unsqueeze(-1), 0);
  };
  return {keep(encoded.hidden), lengths, keep(encoded.ctc_logits)};
}

SpeechEmbeddings SpeechLLM::project_encoded(const EncoderOutput& encoded) {
  if (!compress_by_ctc_) {
    ProjectorOutput projected = projector_->project(encoded.hidden, encoded.lengths);
    return {projected.embeddings, projected.lengths, encoded.ctc_logits, encoded.lengths, {}};
  }
  // With posterior embeddings, the per-frame posteriors ride along with the
  // hidden vectors through one compression: the same runs, one mean each.
  const int64_t hidden_dim = encoded.hidden.size(-1);
  const torch::Tensor frames =
      posterior_embedding_
          ? torch::cat({encoded.hidden, torch::softmax(encoded.ctc_logits, -1).to(encoded.hidden.dtype())}, -1)
          : encoded.hidden;
  CtcCompressed kept = compress_by_ctc(frames, encoded.lengths, encoded.ctc_logits);
  ProjectorOutput projected = projector_->project(kept.hidden.narrow(-1, 0, hidden_dim), kept.lengths);
  if (posterior_embedding_)
    projected.embeddings = projected.embeddings + posterior_embeddings(kept.hidden.narrow(-1, hidden_dim,
                                                                                          frames.size(-1) - hidden_dim));
  return {projected.embeddings, projected.lengths, encoded.ctc_logits, encoded.lengths, kept.runs_before};
}

torch::Tensor SpeechLLM::posterior_embeddings(const torch::Tensor& run_posteriors_with_blank) {
  const int64_t units = run_posteriors_with_blank.size(-1) - 1;  // the blank is last
  if (units > llm_->vocab_size())
    throw std::invalid_argument("speech.posterior_embedding: the CTC head has " + std::to_string(units) +
                                " units besides the blank but the LLM only " + std::to_string(llm_->vocab_size()) +
                                " tokens; encoder.ctc_vocab must be the tokenizer size + 1");
  auto run_posteriors = run_posteriors_with_blank.narrow(-1, 0, units);  // blank dropped
  const auto device = llm_->parameters().front().device();
  auto table = llm_->embed(torch::arange(units, torch::TensorOptions().dtype(torch::kLong).device(device)).unsqueeze(0))
                   .squeeze(0);  // [units, H]
  return torch::matmul(run_posteriors.to(table.dtype()), table);
}

SplicedBatch SpeechLLM::splice_plans(const std::vector<PlannedSample>& samples, const SpeechEmbeddings& speech,
                                     PadSide pad) {
  if (projector_->downsampling() == 0)
    for (const auto& s : samples)
      for (const auto& span : s.plan->spans)
        if (span.modality == Span::Modality::Speech &&
            (span.word_begin != 0 || span.word_end < static_cast<int32_t>(s.input->words.size())))
          throw std::invalid_argument("sample '" + s.input->id + "': strategy '" + s.plan->strategy +
                                      "' cuts speech at words, but a query-based projector has no time axis; "
                                      "use the asr strategy or a stack_linear/conv1d projector");
  auto embed = [this](const torch::Tensor& t) {
    const auto device = llm_->parameters().front().device();
    return llm_->embed(t.to(device).unsqueeze(0)).squeeze(0);
  };
  if (!speech.runs_before.defined())
    return splice(samples, speech.embeddings, speech.lengths, embed, mapper_, pad);
  CompressedFrameMapper compressed{{mapper_.frame_shift_seconds, encoder_->downsampling()},
                                   std::max<int64_t>(1, projector_->downsampling()),
                                   {}};
  auto runs = speech.runs_before.to(torch::kCPU).to(torch::kLong).contiguous();
  auto valid = speech.encoder_lengths.to(torch::kCPU).to(torch::kLong);
  for (int64_t b = 0; b < runs.size(0); ++b) {
    const int64_t* row = runs[b].data_ptr<int64_t>();
    compressed.runs_before.emplace_back(row, row + valid[b].item<int64_t>() + 1);
  }
  return splice(samples, speech.embeddings, speech.lengths, embed, mapper_, pad, &compressed);
}

LossResult SpeechLLM::loss(const SplicedBatch& batch) {
  LMOutput out = llm_->forward_embeddings(batch.embeddings, batch.key_mask, batch.positions, nullptr);
  LossResult result;
  result.logits = out.logits;
  const auto vocab = out.logits.size(-1);
  auto per_token = torch::nn::functional::cross_entropy(
                       out.logits.reshape({-1, vocab}).to(torch::kFloat), batch.labels.reshape({-1}),
                       torch::nn::functional::CrossEntropyFuncOptions().ignore_index(kIgnoreLabel).reduction(torch::kNone))
                       .view(batch.labels.sizes());
  auto is_target = batch.labels != kIgnoreLabel;
  auto row_targets = is_target.sum(1);
  result.targets = row_targets.sum().item<int64_t>();
  result.loss = per_token.sum() / std::max<int64_t>(1, result.targets);
  auto row_sums = per_token.detach().sum(1).to(torch::kCPU).to(torch::kDouble).contiguous();
  auto row_counts = row_targets.to(torch::kCPU).to(torch::kLong).contiguous();
  result.row_loss_sums.assign(row_sums.data_ptr<double>(), row_sums.data_ptr<double>() + row_sums.numel());
  result.row_targets.assign(row_counts.data_ptr<int64_t>(), row_counts.data_ptr<int64_t>() + row_counts.numel());
  return result;
}

}  // namespace jstip::graph
