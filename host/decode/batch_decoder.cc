#include "host/decode/batch_decoder.h"

#include <torch/cuda.h>
#include <torch/torch.h>

#include <chrono>
#include <stdexcept>

#include "host/data/tokenizer.h"
#include "host/data/utterance.h"
#include "host/decode/ctc_greedy.h"
#include "host/decode/decode_options.h"
#include "host/decode/decode_prompt.h"
#include "host/graph/speech_groups.h"
#include "host/graph/speech_llm.h"
#include "jstip/llm.h"

namespace jstip::decode {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start, const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index());  // kernels run asynchronously
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// decode.search: ctc and decode.ctc_weight read the encoder's CTC head: every
// record of the batch needs audio, and the encoder needs the head.
void require_ctc_head(const graph::SpeechEmbeddings& speech, const std::vector<int64_t>& audio_rows,
                      const std::vector<DecodedUtterance>& out, const std::string& what) {
  if (audio_rows.size() != out.size())
    throw std::invalid_argument(what + " reads the encoder's CTC head, so every record needs speech input; '" +
                                out.front().id + "' and its batch were given as text");
  if (!speech.ctc_logits.defined())
    throw std::invalid_argument(what + " needs an encoder with a CTC head (encoder.ctc_vocab)");
}

}  // namespace

double budget_seconds(const data::Utterance& record) {
  if (!data::is_text_only(record)) return data::utterance_seconds(record);
  return static_cast<double>(data::normalized_words(record).size()) / 2.5;
}

std::vector<std::string> record_answers(const data::Utterance& record) {
  std::vector<std::string> answers;
  const auto it = record.metadata().find("answers");
  if (it == record.metadata().end()) return answers;
  const std::string& text = it->second;
  for (size_t begin = 0; begin <= text.size();) {
    size_t end = text.find('|', begin);
    if (end == std::string::npos) end = text.size();
    std::string answer = text.substr(begin, end - begin);
    const auto first = answer.find_first_not_of(" \t");
    if (first != std::string::npos) answers.push_back(answer.substr(first, answer.find_last_not_of(" \t") - first + 1));
    begin = end + 1;
  }
  return answers;
}

BatchDecoder::BatchDecoder(graph::SpeechLLM& model, const DecodePrompt& prompt, const data::Tokenizer& tokenizer,
                           SearchOptions options, const data::FeatureOptions& features, const torch::Device& device,
                           int64_t encoder_frames_per_call)
    : model_(model), prompt_(prompt), tokenizer_(tokenizer), options_(std::move(options)),
      features_(data::make_feature_extractor(features)),
      device_(device),
      encoder_frames_per_call_(encoder_frames_per_call > 0 ? encoder_frames_per_call
                               : device.is_cuda()         ? 0
                                                          : kCpuEncoderFramesPerCall) {
  const SpecialTokens& special = prompt_.special();
  options_.eos = special.eos;
  options_.never_generate = {special.bos, special.speech_begin, special.speech_end};
  options_.valid_vocab = tokenizer_.vocab_size();
}

std::vector<DecodedUtterance> BatchDecoder::decode(const std::vector<data::Utterance>& records) {
  if (records.empty()) return {};
  torch::NoGradGuard no_grad;
  const auto start = Clock::now();
  const auto count = static_cast<int64_t>(records.size());
  std::vector<DecodedUtterance> out(count);
  std::vector<PlanInput> inputs(count);
  std::vector<Plan> prefixes(count);
  std::vector<int64_t> audio_rows;  // records whose prefix has speech, in batch order
  for (int64_t b = 0; b < count; ++b) {
    const auto& record = records[b];
    DecodedUtterance& u = out[b];
    u.id = record.id();
    u.speaker = record.speaker();
    u.reference = record.transcript();
    for (const auto& e : record.entities()) u.entities.push_back({e.begin(), e.end(), e.type()});
    u.answers = record_answers(record);
    if (prompt_.task() == DecodeTask::Qa && u.answers.empty())
      throw std::invalid_argument("record '" + record.id() + "': --task qa needs metadata \"answers\" (a|b|c)");
    u.audio_seconds = data::is_text_only(record) ? 0 : data::utterance_seconds(record);
    u.max_new_tokens = max_new_tokens(options_, budget_seconds(record));
    u.batch_size = count;
    inputs[b] = prompt_.plan_input(record);
    prefixes[b] = prompt_.prefix(inputs[b]);
    if (prefixes[b].speech_spans() > 0) audio_rows.push_back(b);
  }

  // Encoder and projector once for the batch's audio.
  graph::SpeechEmbeddings speech;
  std::vector<int64_t> audio_row_of(count, -1);
  if (!audio_rows.empty()) {
    std::vector<std::vector<float>> waves;
    int64_t longest = 0;
    for (int64_t b : audio_rows) {
      waves.push_back(data::utterance_samples(records[b]));
      features_->check_fits(static_cast<int64_t>(waves.back().size()), "record '" + records[b].id() + "'");
      longest = std::max<int64_t>(longest, static_cast<int64_t>(waves.back().size()));
    }
    const auto rows = static_cast<int64_t>(waves.size());
    auto padded = torch::zeros({rows, longest});
    auto lengths = torch::zeros({rows}, torch::kLong);
    for (int64_t r = 0; r < rows; ++r) {
      const auto n = static_cast<int64_t>(waves[r].size());
      if (n > 0) padded[r].narrow(0, 0, n).copy_(torch::from_blob(waves[r].data(), {n}, torch::kFloat));
      lengths[r] = n;
      audio_row_of[audio_rows[r]] = r;
    }
    const data::FeatureBatch computed = features_->compute(padded, lengths);
    const torch::Tensor& features = computed.features;
    const torch::Tensor& frames = computed.lengths;
    if (frames.min().item<int64_t>() <= 0)
      throw std::invalid_argument("a record of the batch starting with '" + records[audio_rows[0]].id() +
                                  "' is shorter than one feature frame");
    speech = graph::encode_speech_in_groups(model_, features.to(device_), frames.to(device_), encoder_frames_per_call_,
                                            computed.covered.to(device_));
  } else {
    // No audio in the batch (--input text): an empty table on the device keeps splicing there.
    const int64_t hidden = model_.llm().hidden_size();
    speech.embeddings = torch::zeros({0, 0, hidden}, torch::TensorOptions().device(device_));
    speech.lengths = torch::zeros({0}, torch::TensorOptions().dtype(torch::kLong).device(device_));
  }
  std::vector<graph::PlannedSample> planned;
  for (int64_t b = 0; b < count; ++b) planned.push_back({&prefixes[b], &inputs[b], audio_row_of[b]});
  if (options_.ctc_head_only) return ctc_hypotheses(speech, audio_rows, std::move(out), start);
  graph::SplicedBatch batch = model_.splice_plans(planned, speech, graph::PadSide::Left);
  const double encode_seconds = seconds_since(start, device_);

  SearchInput input{batch.embeddings, batch.key_mask, batch.positions, {}, {}, {}};
  for (const auto& u : out) input.max_new_tokens.push_back(u.max_new_tokens);
  if (options_.ctc_weight > 0) {
    require_ctc_head(speech, audio_rows, out, "decode.ctc_weight > 0");
    input.ctc_logits = speech.ctc_logits;  // every row has audio, so audio row r is batch row r
    input.ctc_lengths = speech.encoder_lengths;
  }
  const auto search_start = Clock::now();
  std::vector<Hypothesis> hypotheses = search(model_.llm(), input, options_);
  const double search_seconds = seconds_since(search_start, device_);
  const double batch_seconds = seconds_since(start, device_);

  for (int64_t b = 0; b < count; ++b) {
    DecodedUtterance& u = out[b];
    u.hypothesis = std::move(hypotheses[b]);
    u.text = tokenizer_.decode(std::vector<int>(u.hypothesis.tokens.begin(), u.hypothesis.tokens.end()));
    u.prefix_length = batch.lengths[b];
    u.batch_seconds = batch_seconds;
    u.encode_seconds = encode_seconds;
    u.search_seconds = search_seconds;
  }
  return out;
}

std::vector<DecodedUtterance> BatchDecoder::ctc_hypotheses(const graph::SpeechEmbeddings& speech,
                                                           const std::vector<int64_t>& audio_rows,
                                                           std::vector<DecodedUtterance> out, Clock::time_point start) {
  require_ctc_head(speech, audio_rows, out, "decode.search: ctc");
  std::vector<CtcGreedyPath> paths = ctc_greedy(speech.ctc_logits, speech.encoder_lengths);
  const double seconds = seconds_since(start, device_);
  for (size_t r = 0; r < audio_rows.size(); ++r) {
    DecodedUtterance& u = out[size_t(audio_rows[r])];
    u.hypothesis.tokens.assign(paths[r].units.begin(), paths[r].units.end());
    u.hypothesis.log_prob = u.hypothesis.score = paths[r].log_prob;
    u.hypothesis.ended_with_eos = true;  // a CTC path has no length limit to hit
    u.text = tokenizer_.decode(std::vector<int>(paths[r].units.begin(), paths[r].units.end()));
    u.batch_seconds = u.encode_seconds = seconds;
  }
  return out;
}

}  // namespace jstip::decode
