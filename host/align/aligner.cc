#include "host/align/aligner.h"

#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "host/align/word_timings.h"
#include "host/data/utterance.h"
#include "host/graph/ctc_viterbi.h"
#include "host/graph/frame_mapper.h"
#include "host/graph/sample_builder.h"
#include "host/graph/speech_llm.h"
#include "jstip/encoder.h"

namespace jstip::align {

Aligner::Aligner(graph::SpeechLLM& model, const graph::SampleBuilder& builder, graph::CtcUnits units,
                 const data::FeatureOptions& features, torch::Device device, Boundaries boundaries)
    : model_(model), builder_(builder), units_(units), features_(data::make_feature_extractor(features)),
      device_(device), boundaries_(boundaries) {
  // The CTC head runs at the encoder's frame rate (no projector stacking).
  graph::FrameMapper mapper{features_->frame_shift_seconds(), model.encoder().downsampling()};
  frame_seconds_ = 1.0 / mapper.frames_per_second();
}

std::vector<AlignOutcome> Aligner::align(std::vector<data::Utterance>& records) {
  torch::NoGradGuard no_grad;
  const auto count = static_cast<int64_t>(records.size());
  std::vector<AlignOutcome> out(count);
  std::vector<int64_t> rows;  // records that go to the encoder
  std::vector<std::vector<int64_t>> targets, word_first_unit;
  std::vector<std::vector<std::string>> words, written;  // written: kept across the rewrite of the words
  std::vector<std::vector<float>> waves;
  for (int64_t b = 0; b < count; ++b) {
    auto& record = records[b];
    if (data::is_text_only(record)) {
      out[b].status = AlignOutcome::Status::TextOnly;
      continue;
    }
    const std::string where = "record '" + record.id() + "'";
    try {
      const PlanInput input = builder_.build(record);
      std::vector<int64_t> units, offsets{0};
      std::vector<std::string> texts;
      for (const auto& word : input.words) {
        const auto ids = units_.word_units(word, where);
        units.insert(units.end(), ids.begin(), ids.end());
        offsets.push_back(static_cast<int64_t>(units.size()));
        texts.push_back(word.text);
      }
      waves.push_back(data::utterance_samples(record));
      features_->check_fits(static_cast<int64_t>(waves.back().size()), where);
      if (features_->num_frames(static_cast<int64_t>(waves.back().size())) <= 0) {
        waves.pop_back();
        throw std::invalid_argument(where + ": audio shorter than one feature frame");
      }
      targets.push_back(std::move(units));
      word_first_unit.push_back(std::move(offsets));
      words.push_back(std::move(texts));
      // Only records that have a written text: older ones keep Word.written empty.
      written.push_back(record.written().empty() ? std::vector<std::string>{} : data::written_words(record));
      rows.push_back(b);
    } catch (const std::exception& e) {
      out[b].error = e.what();
    }
  }
  if (rows.empty()) return out;

  const auto n = static_cast<int64_t>(rows.size());
  int64_t longest = 0;
  for (const auto& w : waves) longest = std::max<int64_t>(longest, static_cast<int64_t>(w.size()));
  auto padded = torch::zeros({n, longest});
  auto lengths = torch::zeros({n}, torch::kLong);
  for (int64_t r = 0; r < n; ++r) {
    const auto samples = static_cast<int64_t>(waves[r].size());
    padded[r].narrow(0, 0, samples).copy_(torch::from_blob(waves[r].data(), {samples}, torch::kFloat));
    lengths[r] = samples;
  }
  const data::FeatureBatch features = features_->compute(padded, lengths);
  // With whisper_mel pad_30s the encoder reads 30 s and keeps the frames that cover the audio.
  const graph::SpeechEmbeddings speech =
      model_.encode_speech(features.features.to(device_), features.lengths.to(device_), features.covered.to(device_));
  if (!speech.ctc_logits.defined())
    throw std::invalid_argument("the checkpoint's encoder has no CTC head: train one with encoder.ctc_vocab and "
                                "trainer.ctc_weight (docs/alignment.md)");
  const int64_t blank = speech.ctc_logits.size(2) - 1;
  const auto log_probs = speech.ctc_logits.to(torch::kFloat).log_softmax(-1);
  const std::vector<graph::CtcPath> paths = graph::ctc_viterbi(log_probs, speech.encoder_lengths, targets, blank);

  for (int64_t r = 0; r < n; ++r) {
    auto& record = records[rows[r]];
    AlignOutcome& outcome = out[rows[r]];
    if (!paths[r].ok) {
      outcome.error = "record '" + record.id() + "': " + paths[r].error;
      continue;
    }
    const auto timings = word_timings(paths[r], word_first_unit[r], frame_seconds_, data::utterance_seconds(record),
                                      boundaries_);
    record.clear_words();
    for (size_t w = 0; w < timings.size(); ++w) {
      auto* word = record.add_words();
      word->set_text(words[r][w]);
      if (w < written[r].size()) word->set_written(written[r][w]);
      word->set_start(timings[w].start);
      word->set_end(timings[w].end);
      word->set_has_timing(true);
      word->set_confidence(timings[w].confidence);
    }
    outcome.status = AlignOutcome::Status::Aligned;
    outcome.score = path_score(paths[r]);
    char score[32];
    std::snprintf(score, sizeof score, "%.4f", outcome.score);
    (*record.mutable_metadata())["align_score"] = score;
  }
  return out;
}

}  // namespace jstip::align
