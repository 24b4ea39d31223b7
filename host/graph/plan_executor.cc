#include "host/graph/plan_executor.h"

#include <torch/torch.h>

#include <numeric>
#include <stdexcept>

namespace jstip::graph {

std::pair<int64_t, int64_t> span_frames(const Span& span, const PlanInput& input, const FrameMapper& mapper,
                                        int64_t audio_length, const CompressedFrameMapper* compressed,
                                        int64_t audio_row) {
  const auto words = static_cast<int32_t>(input.words.size());
  if (span.word_begin == 0 && span.word_end >= words) return {0, audio_length};  // the whole utterance
  if (!input.has_timings)
    throw std::invalid_argument("sample '" + input.id + "': a speech span of words " + std::to_string(span.word_begin) +
                                "-" + std::to_string(span.word_end - 1) + " needs word timings, which it lacks");
  const double start = input.words[span.word_begin].start, end = input.words[span.word_end - 1].end;
  if (compressed) return compressed->frames(start, end, audio_row, audio_length);
  return mapper.frames(start, end, audio_length);
}

namespace {

// Where each position of one row reads from: an index into the source table,
// the token (or -1) and whether that token is a target.
struct RowLayout {
  std::vector<int64_t> source;
  std::vector<int64_t> token;
  std::vector<uint8_t> target;
};

}  // namespace

SplicedBatch splice(const std::vector<PlannedSample>& samples, const torch::Tensor& speech,
                    const torch::Tensor& speech_lengths, const EmbedFn& embed, const FrameMapper& mapper,
                    PadSide pad, const CompressedFrameMapper* compressed) {
  if (samples.empty()) throw std::invalid_argument("splice: empty batch");
  // 1. All text tokens of the batch, embedded in one call.
  std::vector<int64_t> all_tokens;
  for (const auto& s : samples)
    for (const auto& span : s.plan->spans) all_tokens.insert(all_tokens.end(), span.tokens.begin(), span.tokens.end());
  torch::Tensor token_tensor = torch::tensor(all_tokens, torch::kLong);
  // `embed` puts the embeddings on the model's device; everything follows them.
  torch::Tensor text_embeddings = embed(speech.defined() ? token_tensor.to(speech.device()) : token_tensor);  // [N_text, H]
  const auto device = text_embeddings.device();
  const int64_t hidden = text_embeddings.size(-1);

  // 2. Source table: [text embeddings; speech frames flattened; one zero row for padding].
  const int64_t n_text = static_cast<int64_t>(all_tokens.size());
  int64_t speech_frames = 0, speech_time = 0;
  std::vector<int64_t> audio_lengths;
  if (speech.defined()) {
    speech_time = speech.size(1);
    speech_frames = speech.size(0) * speech_time;
    auto lengths_cpu = speech_lengths.to(torch::kCPU).to(torch::kLong);
    audio_lengths.assign(lengths_cpu.data_ptr<int64_t>(), lengths_cpu.data_ptr<int64_t>() + lengths_cpu.numel());
  }
  const int64_t zero_row = n_text + speech_frames;

  // 3. Row layouts (integer bookkeeping only).
  std::vector<RowLayout> rows(samples.size());
  int64_t next_text = 0;
  for (size_t b = 0; b < samples.size(); ++b) {
    const auto& s = samples[b];
    RowLayout& row = rows[b];
    for (const auto& span : s.plan->spans) {
      if (span.modality == Span::Modality::Text) {
        for (size_t t = 0; t < span.tokens.size(); ++t) {
          row.source.push_back(next_text++);
          row.token.push_back(span.tokens[t]);
          row.target.push_back(span.loss[t]);
        }
        continue;
      }
      if (s.audio_row < 0 || !speech.defined())
        throw std::invalid_argument("sample '" + s.input->id + "' has a speech span but no audio");
      auto [first, last] = span_frames(span, *s.input, mapper, audio_lengths.at(s.audio_row), compressed, s.audio_row);
      const int64_t base = n_text + s.audio_row * speech_time;
      for (int64_t f = first; f < last; ++f) {
        row.source.push_back(base + f);
        row.token.push_back(-1);
        row.target.push_back(0);
      }
    }
  }

  // 4. Padded index, token, label and mask arrays.
  int64_t max_length = 0;
  for (const auto& row : rows) max_length = std::max<int64_t>(max_length, row.source.size());
  const auto batch = static_cast<int64_t>(rows.size());
  std::vector<int64_t> index(batch * max_length, zero_row), tokens(batch * max_length, -1),
      labels(batch * max_length, kIgnoreLabel), positions(batch * max_length, 0);
  std::vector<uint8_t> mask(batch * max_length, 0);
  SplicedBatch out;
  for (int64_t b = 0; b < batch; ++b) {
    const RowLayout& row = rows[b];
    const auto length = static_cast<int64_t>(row.source.size());
    out.lengths.push_back(length);
    const int64_t offset = b * max_length + (pad == PadSide::Left ? max_length - length : 0);
    for (int64_t t = 0; t < length; ++t) {
      index[offset + t] = row.source[t];
      tokens[offset + t] = row.token[t];
      positions[offset + t] = t;
      mask[offset + t] = 1;
      // Position t predicts the token at t+1 when that token is a target.
      if (t + 1 < length && row.target[t + 1]) labels[offset + t] = row.token[t + 1];
    }
  }

  // 5. One gather builds the whole batch; gradients flow to both sources.
  std::vector<torch::Tensor> sources = {text_embeddings};
  if (speech.defined()) sources.push_back(speech.reshape({speech_frames, hidden}).to(text_embeddings.dtype()));
  sources.push_back(torch::zeros({1, hidden}, text_embeddings.options()));
  torch::Tensor table = torch::cat(sources, 0);
  auto long_options = torch::TensorOptions().dtype(torch::kLong);
  out.sources = torch::tensor(index, long_options).view({batch, max_length});
  out.text_rows = n_text;
  torch::Tensor gather = out.sources.view({-1}).to(device);
  out.embeddings = table.index_select(0, gather).view({batch, max_length, hidden});
  out.tokens = torch::tensor(tokens, long_options).view({batch, max_length}).to(device);
  out.labels = torch::tensor(labels, long_options).view({batch, max_length}).to(device);
  out.positions = torch::tensor(positions, long_options).view({batch, max_length}).to(device);
  out.key_mask = torch::tensor(mask, torch::TensorOptions().dtype(torch::kUInt8))
                     .view({batch, max_length})
                     .to(torch::kBool)
                     .to(device);
  return out;
}

}  // namespace jstip::graph
