#include "host/train/batch_loss.h"

#include <torch/torch.h>

#include <stdexcept>

#include "host/graph/ctc_loss.h"
#include "host/graph/ctc_units.h"
#include "host/graph/sample_builder.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/composition.h"
#include "host/train/encoder_cache.h"
#include "jstip/interleaver.h"
#include "jstip/llm.h"

namespace jstip::train {
namespace {

// The speech of the batch's audio rows: the encoder live over their features
// (all of each 30 s window with features.pad_30s, else up to the longest
// row), or its outputs from the cache; then the projector.
graph::SpeechEmbeddings encode_rows(graph::SpeechLLM& model, const data::Batch& batch,
                                    const std::vector<int64_t>& audio_rows, EncoderCache* cache,
                                    BatchTrace* trace = nullptr) {
  const auto device = model.llm().parameters()[0].device();
  if (cache && !trace) return model.project_encoded(cache->encode(model, batch, audio_rows, device));
  auto rows = torch::tensor(audio_rows, torch::kLong);
  auto lengths = batch.feature_lengths.index_select(0, rows);
  auto features = batch.features.index_select(0, rows);
  if (!model.pad_30s()) features = features.slice(1, 0, lengths.max().item<int64_t>());
  features = features.to(device);
  lengths = lengths.to(device);
  if (trace) {
    trace->features = features;
    trace->feature_lengths = lengths;
  }
  if (cache) return model.project_encoded(cache->encode(model, batch, audio_rows, device));
  const torch::Tensor covered =
      batch.covered_frames.defined() ? batch.covered_frames.index_select(0, rows).to(device) : torch::Tensor();
  return model.encode_speech(features, lengths, covered);
}

}  // namespace

// The CTC loss alone (a stage with llm_weight 0): every record with audio, its
// whole transcript; no plans, no LLM. `loss` is the mean per target unit.
BatchLoss ctc_only_loss(graph::SpeechLLM& model, const graph::SampleBuilder& builder, const graph::CtcUnits& units,
                        const std::string& source, const data::Batch& batch, EncoderCache* encoder_cache) {
  std::vector<int64_t> audio_rows;
  std::vector<std::vector<int64_t>> transcripts;
  for (size_t b = 0; b < batch.records.size(); ++b) {
    const auto& record = batch.records[b];
    if (batch.feature_lengths[static_cast<int64_t>(b)].item<int64_t>() <= 0) continue;  // text-only
    const PlanInput input = builder.build(record, batch.loaded_seconds(b));
    transcripts.emplace_back();
    for (const auto& word : input.words) {
      const auto ids = units.word_units(word, "source '" + source + "', record '" + record.id() + "'");
      transcripts.back().insert(transcripts.back().end(), ids.begin(), ids.end());
    }
    audio_rows.push_back(static_cast<int64_t>(b));
  }
  BatchLoss out;
  if (audio_rows.empty()) {
    out.loss = torch::zeros({});
    return out;
  }
  graph::SpeechEmbeddings speech = encode_rows(model, batch, audio_rows, encoder_cache);
  graph::CtcLossSum ctc = graph::ctc_loss_sum(speech, transcripts);
  out.ctc_sum = ctc.sum;
  out.ctc_targets = ctc.targets;
  out.targets = ctc.targets;
  out.loss = ctc.sum / static_cast<double>(std::max<int64_t>(1, ctc.targets));
  out.by_strategy["ctc"] = {ctc.sum.item<double>(), ctc.targets};
  return out;
}

BatchLoss batch_loss(graph::SpeechLLM& model, const graph::SampleBuilder& builder, const Interleaver& interleaver,
                     const std::string& strategy, const std::string& source, const data::Batch& batch,
                     std::mt19937_64& rng, LossMode mode, BatchTrace* trace) {
  if (!mode.llm) return ctc_only_loss(model, builder, *mode.ctc, source, batch, mode.encoder_cache);
  const auto count = batch.records.size();
  std::vector<PlanInput> inputs(count);
  std::vector<Plan> plans(count);
  std::vector<int64_t> audio_rows;  // batch rows whose plan has speech
  for (size_t b = 0; b < count; ++b) {
    const auto& record = batch.records[b];
    inputs[b] = builder.build(record, batch.loaded_seconds(b));
    if (interleaver.needs_audio() && !inputs[b].has_audio)
      throw std::invalid_argument("source '" + source + "', record '" + record.id() + "': strategy '" + strategy +
                                  "' needs audio, the record has none");
    if (interleaver.needs_timings() && !inputs[b].has_timings)
      throw std::invalid_argument("source '" + source + "', record '" + record.id() + "': strategy '" + strategy +
                                  "' needs word timings, the record has none (align it with `jstip align`, or use asr)");
    plans[b] = host::call_plugin(strategy, [&] { return interleaver.plan(inputs[b], rng); });
    if (plans[b].speech_spans() > 0) audio_rows.push_back(static_cast<int64_t>(b));
  }

  graph::SpeechEmbeddings speech;
  std::vector<int64_t> audio_row_of(count, -1);
  if (!audio_rows.empty()) {
    if (batch.feature_lengths.index_select(0, torch::tensor(audio_rows, torch::kLong)).min().item<int64_t>() <= 0)
      throw std::invalid_argument("source '" + source + "': a record with a speech span has no audio frames");
    speech = encode_rows(model, batch, audio_rows, mode.encoder_cache, trace);
    if (trace) {
      trace->speech_lengths = speech.lengths;
      trace->speech_time = speech.embeddings.size(1);
    }
    for (size_t i = 0; i < audio_rows.size(); ++i) audio_row_of[audio_rows[i]] = static_cast<int64_t>(i);
  }
  std::vector<graph::PlannedSample> samples;
  for (size_t b = 0; b < count; ++b) samples.push_back({&plans[b], &inputs[b], audio_row_of[b]});
  graph::SplicedBatch spliced = model.splice_plans(samples, speech);
  graph::LossResult result = model.loss(spliced);
  if (trace) {
    trace->audio_rows = audio_rows;
    trace->spliced = spliced;
  }

  BatchLoss out;
  out.loss = result.loss;
  if (mode.ctc && !audio_rows.empty()) {
    // Every audio row's whole transcript, whatever the plan showed as speech.
    std::vector<std::vector<int64_t>> transcripts;
    for (int64_t row : audio_rows) {
      transcripts.emplace_back();
      for (const auto& word : inputs[row].words) {
        const auto ids = mode.ctc->word_units(word, "source '" + source + "', record '" + inputs[row].id + "'");
        transcripts.back().insert(transcripts.back().end(), ids.begin(), ids.end());
      }
    }
    graph::CtcLossSum ctc = graph::ctc_loss_sum(speech, transcripts);
    out.ctc_sum = ctc.sum;
    out.ctc_targets = ctc.targets;
    if (trace) trace->transcripts = std::move(transcripts);
  }
  out.targets = result.targets;
  for (auto length : spliced.lengths) out.positions += length;
  for (size_t b = 0; b < count; ++b) {
    auto& entry = out.by_strategy[plans[b].strategy];
    entry.first += result.row_loss_sums[b];
    entry.second += result.row_targets[b];
  }
  return out;
}

}  // namespace jstip::train
