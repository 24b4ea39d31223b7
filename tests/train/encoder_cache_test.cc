// The encoder output cache (host/train/encoder_cache.h) on real synthesized
// speech: cached and live encoder outputs train the same, a second epoch does
// not run the encoder, the key follows what the outputs depend on, damaged
// files are refused by name, and features.pad_30s keeps the frames covering
// the audio.
#include "host/train/encoder_cache.h"

#include <gtest/gtest.h>
#include <torch/torch.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "host/data/feature_extractor.h"
#include "host/data/loader.h"
#include "host/data/shard_file.h"
#include "host/data/synthesis_mix.h"
#include "host/data/tokenizer.h"
#include "host/graph/ctc_units.h"
#include "host/graph/sample_builder.h"
#include "host/graph/speech_llm.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "host/train/autocast.h"
#include "host/train/batch_loss.h"
#include "host/train/trainer.h"
#include "jstip/encoder.h"
#include "jstip/interleaver.h"
#include "jstip/llm.h"
#include "jstip/nn/freeze.h"
#include "jstip/projector.h"

namespace {

namespace fs = std::filesystem;
using namespace jstip;

const char* kSentences[] = {
    "the cat sat on the mat",      "a doctor gave her aspirin",    "we walked to the river today",
    "the nurse checked his pulse", "open the window please",       "my brother plays the piano",
    "the patient has a fever",     "it rained all night long",     "she reads a book every week",
    "take two tablets after meals", "the dog ran across the field", "please call the clinic tomorrow",
};
constexpr int64_t kRecords = sizeof(kSentences) / sizeof(kSentences[0]);

std::unique_ptr<train::EncoderCache> make_cache(graph::SpeechLLM& model, const Config& config) {
  return std::make_unique<train::EncoderCache>(train::encoder_cache_key(model, config), model.encoder().output_dim(),
                                               config.get_int("encoder.ctc_vocab", 0));
}

class EncoderCacheTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Per process: ctest runs this file's tests in parallel processes.
    root_ = (fs::path(JSTIP_BINARY_DIR) / "test_scratch" / ("encoder-cache-" + std::to_string(::getpid()))).string();
    fs::remove_all(root_);
    fs::create_directories(root_);
    const auto synthesis = data::synthesis_options_from_config(
        Config(host::parse_yaml("voices: [en-us]\nvariants: [\"\", f3]\nseed: 5\n", "encoder_cache_test"), ""));
    data::SynthesisMix synthesizer(synthesis);
    data::ShardWriter writer(root_ + "/train.shard");
    std::ofstream text(root_ + "/text.txt");
    uint64_t index = 0;
    for (const char* sentence : kSentences) {
      writer.write(synthesizer.make_record("utt" + std::to_string(index), sentence, index));
      text << sentence << "\n";
      ++index;
    }
    writer.close();
    text.close();
    data::TokenizerTrainOptions tokenizer;
    tokenizer.inputs = {root_ + "/text.txt"};
    tokenizer.model_prefix = root_ + "/tok";
    tokenizer.vocab_size = 120;
    tokenizer.hard_vocab_limit = false;
    tokenizer.byte_fallback = false;
    tokenizer.user_defined_symbols = {"<speech>", "</speech>"};
    data::train_tokenizer(tokenizer);
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }
  void SetUp() override { fs::remove_all(cache_root()); }

  static std::string shard() { return root_ + "/train.shard"; }
  static std::string cache_root() { return root_ + "/encoder-cache"; }

  // configs/tiny.yaml with this corpus' tokenizer; the same weights for the same overrides.
  static host::Composition compose(const std::vector<std::string>& overrides) {
    std::vector<std::string> all = {"tokenizer={model: " + root_ + "/tok.model}"};
    all.insert(all.end(), overrides.begin(), overrides.end());
    Config config = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, all);
    host::ComposeOptions options;
    options.need_interleaver = true;
    torch::manual_seed(0);
    return host::compose(config, options);
  }

  // The shard's first batch as training loads it (the config's features).
  static data::Batch first_batch(const Config& config) {
    data::LoaderOptions options;
    options.shuffle = false;
    options.max_utterances_per_batch = 4;
    options.max_frames_per_batch = 1 << 30;
    options.features = data::features_options(config);
    data::Loader loader({shard()}, options);
    loader.start_epoch(0);
    data::Batch batch;
    EXPECT_TRUE(loader.next(&batch));
    for (data::Batch rest; loader.next(&rest);) {
    }  // drain, so the loader's threads are idle
    return batch;
  }

  static std::vector<int64_t> all_rows(const data::Batch& batch) {
    std::vector<int64_t> rows;
    for (size_t b = 0; b < batch.records.size(); ++b) rows.push_back(int64_t(b));
    return rows;
  }

  static int64_t tokenizer_units() { return data::load_tokenizer(root_ + "/tok.model")->vocab_size(); }

  static std::string root_;
};
std::string EncoderCacheTest::root_;

struct StepResult {
  double loss = 0, ctc = 0;
  std::vector<torch::Tensor> projector_grads;
};

// One training step's loss and projector gradients on the first batch, live
// and through the cache (written, then read back): equal to the last bit.
void expect_cached_equals_live(host::Composition composition, const data::Batch& batch, const std::string& tokenizer,
                               bool with_ctc) {
  graph::SpeechLLM model(composition);
  nn::freeze_all(model.encoder());
  graph::SampleBuilder builder(data::load_tokenizer(tokenizer), graph::PromptDefinition::from_config(composition.config));
  const graph::CtcUnits units = graph::CtcUnits::from_config(composition.config);
  model.train();
  auto step = [&](train::EncoderCache* cache) {
    train::LossMode mode;
    mode.ctc = with_ctc ? &units : nullptr;
    mode.encoder_cache = cache;
    std::mt19937_64 rng(7);  // the same plans every time
    torch::manual_seed(11);  // the same LLM dropout
    model.zero_grad();
    train::BatchLoss b = train::batch_loss(model, builder, *composition.interleaver, "word", "pairs", batch, rng, mode);
    torch::Tensor objective = b.loss * static_cast<double>(b.targets);
    if (b.ctc_sum.defined()) objective = objective + b.ctc_sum;
    objective.backward();
    StepResult out;
    out.loss = b.loss.item<double>();
    out.ctc = b.ctc_sum.defined() ? b.ctc_sum.item<double>() : -1;
    for (const auto& p : model.projector().parameters()) out.projector_grads.push_back(p.grad().clone());
    return out;
  };
  // Live, with the frozen encoder in eval mode: how the cached path runs it.
  model.encoder().eval();
  const StepResult live = step(nullptr);
  model.encoder().train();
  auto cache = make_cache(model, composition.config);
  const StepResult written = step(cache.get());
  const int64_t audio_rows = cache->stats().misses;
  EXPECT_GT(audio_rows, 0);
  EXPECT_EQ(cache->stats().hits, 0);
  EXPECT_TRUE(model.encoder().is_training()) << "the cache must restore the encoder's mode";
  const int64_t runs = model.encoder_runs();
  const StepResult read = step(cache.get());
  EXPECT_EQ(model.encoder_runs(), runs) << "all rows were cached: the encoder must not run";
  EXPECT_EQ(cache->stats().hits, audio_rows);
  EXPECT_EQ(cache->stats().misses, audio_rows);
  EXPECT_EQ(written.loss, live.loss);
  EXPECT_EQ(read.loss, live.loss);
  EXPECT_EQ(read.ctc, live.ctc);
  if (with_ctc) EXPECT_GT(live.ctc, 0);
  ASSERT_EQ(read.projector_grads.size(), live.projector_grads.size());
  for (size_t i = 0; i < live.projector_grads.size(); ++i)
    EXPECT_TRUE(torch::equal(read.projector_grads[i], live.projector_grads[i])) << "projector gradient " << i;
}

TEST_F(EncoderCacheTest, CachedAndLiveEncoderOutputsGiveTheSameLoss) {
  auto composition = compose({"interleaver.type=word"});
  expect_cached_equals_live(composition, first_batch(composition.config), root_ + "/tok.model", false);
}

// CTC logits are cached too: CTC compression, posterior embeddings and the CTC loss read them.
TEST_F(EncoderCacheTest, CachedCtcLogitsGiveTheSameCompressionAndCtcLoss) {
  auto composition = compose({"interleaver.type=word", "encoder.ctc_vocab=" + std::to_string(tokenizer_units() + 1),
                              "speech.compress=ctc", "speech.posterior_embedding=true", "projector.stack=1"});
  expect_cached_equals_live(composition, first_batch(composition.config), root_ + "/tok.model", true);
}

// Whole 30 s windows (whisper_mel, pad_30s): the encoder reads 3000 frames a row.
TEST_F(EncoderCacheTest, CachedAndLiveAgreeOnThirtySecondWindows) {
  auto composition = compose({"interleaver.type=word", "features={type: whisper_mel, pad_30s: true}"});
  const data::Batch batch = first_batch(composition.config);
  ASSERT_EQ(batch.features.size(1), 3000);
  expect_cached_equals_live(composition, batch, root_ + "/tok.model", false);
}

// Interleaving slices cached frames exactly as live ones: the same plans give
// the same spliced LLM input.
TEST_F(EncoderCacheTest, SamePlansSpliceCachedFramesLikeLiveOnes) {
  auto composition = compose({"interleaver.type=word"});
  graph::SpeechLLM model(composition);
  model.eval();
  graph::SampleBuilder builder(data::load_tokenizer(root_ + "/tok.model"),
                               graph::PromptDefinition::from_config(composition.config));
  const data::Batch batch = first_batch(composition.config);
  std::vector<PlanInput> inputs;
  std::vector<Plan> plans;
  std::mt19937_64 rng(3);
  for (size_t b = 0; b < batch.records.size(); ++b) {
    inputs.push_back(builder.build(batch.records[b], batch.loaded_seconds(b)));
    plans.push_back(composition.interleaver->plan(inputs.back(), rng));
  }
  int64_t speech_spans = 0;
  std::vector<graph::PlannedSample> samples;
  for (size_t b = 0; b < plans.size(); ++b) {
    samples.push_back({&plans[b], &inputs[b], int64_t(b)});
    speech_spans += plans[b].speech_spans();
  }
  ASSERT_GT(speech_spans, 0);
  const auto rows = all_rows(batch);
  const int64_t longest = batch.feature_lengths.max().item<int64_t>();
  const graph::SpeechEmbeddings live =
      model.encode_speech(batch.features.narrow(1, 0, longest), batch.feature_lengths);
  auto cache = make_cache(model, composition.config);
  cache->encode(model, batch, rows, torch::kCPU);  // written
  const graph::SpeechEmbeddings cached = model.project_encoded(cache->encode(model, batch, rows, torch::kCPU));
  EXPECT_EQ(cache->stats().hits, int64_t(rows.size()));
  const graph::SplicedBatch a = model.splice_plans(samples, live), b = model.splice_plans(samples, cached);
  EXPECT_TRUE(torch::equal(a.embeddings, b.embeddings));
  EXPECT_TRUE(torch::equal(a.sources, b.sources));
  EXPECT_TRUE(torch::equal(a.labels, b.labels));
  EXPECT_EQ(a.lengths, b.lengths);
}

// A bf16 run (the step under autocast) caches what an fp32 encoder gives.
TEST_F(EncoderCacheTest, OutputsAreCachedInFp32UnderAutocast) {
  auto composition = compose({});
  graph::SpeechLLM model(composition);
  model.eval();
  const data::Batch batch = first_batch(composition.config);
  const auto rows = all_rows(batch);
  auto cache = make_cache(model, composition.config);
  torch::NoGradGuard no_grad;
  torch::Tensor bf16;
  {
    train::AutocastScope autocast(true, false);
    cache->encode(model, batch, rows, torch::kCPU);  // written
    bf16 = model.run_encoder(batch.features, batch.feature_lengths).hidden.to(torch::kFloat);
  }
  const EncoderOutput fp32 = model.run_encoder(batch.features, batch.feature_lengths);
  ASSERT_FALSE(torch::equal(bf16, fp32.hidden)) << "autocast changed nothing: the test shows nothing";
  const EncoderOutput cached = cache->encode(model, batch, rows, torch::kCPU);
  EXPECT_EQ(cache->stats().hits, int64_t(rows.size()));
  EXPECT_TRUE(torch::equal(cached.hidden, fp32.hidden));
  EXPECT_TRUE(torch::equal(cached.lengths, fp32.lengths));
}

// Through the trainer: a frozen encoder is run once per utterance; every later
// epoch (and a second run of the same composition) reads the cache only, and
// text-only batches never touch it.
TEST_F(EncoderCacheTest, SecondEpochDoesNotRunTheEncoder) {
  auto run = [&](const std::string& name) {
    std::string yaml = "seed: 3\noutput_dir: " + root_ + "/" + name + "\ntokenizer: {model: " + root_ +
                       "/tok.model}\n"
                       "interleaver: {type: asr}\n"
                       "encoder: {freeze: true}\n"
                       "data:\n  max_frames_per_batch: 2000\n  max_utterances_per_batch: 4\n"
                       "  sources:\n    - {name: pairs, shards: [" + shard() + "], weight: 0.7}\n"
                       "    - {name: text, shards: [" + shard() + "], weight: 0.3, interleaver: {type: text_lm}}\n"
                       "  dev: {shards: [" + shard() + "]}\n"
                       "trainer:\n  lr: 3.0e-3\n  warmup_steps: 2\n  log_every: 1\n  save_every: 100\n"
                       "  max_dev_batches: 2\n  stages: [{name: main, steps: 24}]\n";
    auto tiny = host::load_config({std::string(JSTIP_SOURCE_DIR) + "/configs/tiny.yaml"}, {});
    train::TrainRequest request;
    request.config = Config(host::merge_configs(tiny.node(), host::parse_yaml(yaml, "test.yaml")), "");
    request.quiet = true;
    return train::train(request);
  };
  const train::TrainSummary first = run("first");
  EXPECT_EQ(first.losses.size(), 24u);
  EXPECT_GT(first.last_dev_loss, 0);
  int64_t complete_pair_epochs = 0;
  for (const auto& e : first.encoder_cache_epochs) {
    SCOPED_TRACE("source " + e.source + " epoch " + std::to_string(e.epoch));
    if (e.source == "text") {  // text-only plans: no speech rows
      EXPECT_EQ(e.stats.hits + e.stats.misses, 0);
      EXPECT_EQ(e.encoder_calls, 0);
      continue;
    }
    ASSERT_EQ(e.source, "pairs");
    if (!e.complete) continue;
    ++complete_pair_epochs;
    if (e.epoch == 0) {
      EXPECT_EQ(e.stats.misses, kRecords);
      EXPECT_EQ(e.stats.hits, 0);
      EXPECT_GE(e.encoder_calls, 1);
    } else {
      EXPECT_EQ(e.stats.hits, kRecords);
      EXPECT_EQ(e.stats.misses, 0);
      EXPECT_EQ(e.encoder_calls, 0) << "a later epoch ran the encoder";
    }
  }
  EXPECT_GE(complete_pair_epochs, 2);

  // Beside the shard: the key's manifest and one file per record.
  ASSERT_TRUE(fs::is_directory(cache_root()));
  std::vector<fs::path> keys(fs::directory_iterator(cache_root()), fs::directory_iterator{});
  ASSERT_EQ(keys.size(), 1u);
  const Json manifest = Json::parse([&] {
    std::ifstream in(keys[0] / "manifest.json");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }());
  EXPECT_EQ(manifest.get_string("key", ""), keys[0].filename().string());
  EXPECT_EQ(manifest.get_string("encoder", ""), "transformer");
  EXPECT_NE(manifest.find("encoder_weights"), nullptr);
  int64_t files = 0;
  for (const auto& entry : fs::directory_iterator(keys[0] / "train.shard")) files += entry.path().extension() == ".enc";
  EXPECT_EQ(files, kRecords);

  // The same composition again (same seed, so the same frozen weights): nothing to compute.
  const train::TrainSummary second = run("second");
  EXPECT_EQ(second.losses, first.losses);
  for (const auto& e : second.encoder_cache_epochs) {
    SCOPED_TRACE("second run: source " + e.source + " epoch " + std::to_string(e.epoch));
    EXPECT_EQ(e.stats.misses, 0);
    EXPECT_EQ(e.encoder_calls, 0);
  }
}

TEST_F(EncoderCacheTest, KeyFollowsWeightsFeaturesAndPadding) {
  auto key_of = [](const std::vector<std::string>& overrides) {
    auto composition = compose(overrides);
    graph::SpeechLLM model(composition);
    return train::encoder_cache_key(model, composition.config).id;
  };
  const std::string base = key_of({});
  EXPECT_EQ(base.size(), 16u);
  EXPECT_EQ(key_of({}), base) << "the same weights and config must give the same key";
  // Training keys and the pretrained path do not change the outputs; the resolved features are what count.
  EXPECT_EQ(key_of({"encoder.freeze=true"}), base);
  EXPECT_EQ(key_of({"features={type: kaldi_fbank}"}), base);
  EXPECT_EQ(key_of({"features={type: kaldi_fbank, num_bins: 80}"}), base);

  EXPECT_NE(key_of({"features={type: kaldi_fbank, low_freq: 40}"}), base);
  EXPECT_NE(key_of({"data.feature_norm=none"}), base);
  EXPECT_NE(key_of({"encoder.dropout=0.2"}), base);
  EXPECT_EQ(key_of({"trainer.precision=bf16"}), base) << "cached outputs are computed in fp32 in any run";
  EXPECT_NE(key_of({"features={type: whisper_mel, pad_30s: true}"}), key_of({"features={type: whisper_mel}"}));

  // One encoder weight, one element: a new key; put back: the old one.
  auto composition = compose({});
  graph::SpeechLLM model(composition);
  torch::NoGradGuard no_grad;
  torch::Tensor weight = model.encoder().parameters().back();
  const torch::Tensor saved = weight.clone();
  weight.view(-1)[0] += 1e-3;
  EXPECT_NE(train::encoder_cache_key(model, composition.config).id, base);
  weight.copy_(saved);
  EXPECT_EQ(train::encoder_cache_key(model, composition.config).id, base);
  // An LLM weight is no input of the encoder's outputs.
  model.llm().parameters().front().view(-1)[0] += 1.0;
  EXPECT_EQ(train::encoder_cache_key(model, composition.config).id, base);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const train::EncoderCacheError& e) {
    return e.what();
  }
  return "";
}

TEST_F(EncoderCacheTest, DamagedFilesAreRefusedNamingFileAndRecord) {
  auto composition = compose({"encoder.ctc_vocab=" + std::to_string(tokenizer_units() + 1)});
  graph::SpeechLLM model(composition);
  model.eval();
  const data::Batch batch = first_batch(composition.config);
  const auto rows = all_rows(batch);
  make_cache(model, composition.config)->encode(model, batch, rows, torch::kCPU);
  const std::string key = train::encoder_cache_key(model, composition.config).id;
  const int64_t record = batch.record_indices[1];
  const std::string path = train::encoding_path(batch.shards[1], record, key);
  ASSERT_TRUE(fs::exists(path)) << path;
  std::string good;
  {
    std::ifstream in(path, std::ios::binary);
    good.assign(std::istreambuf_iterator<char>(in), {});
  }
  auto put = [&](const std::string& bytes) { std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes; };
  auto refusal = [&] { return error_of([&] { make_cache(model, composition.config)->encode(model, batch, rows, torch::kCPU); }); };
  auto expect_refused = [&](const std::string& why) {
    const std::string message = refusal();
    EXPECT_NE(message.find(path), std::string::npos) << message;
    EXPECT_NE(message.find("record " + std::to_string(record)), std::string::npos) << message;
    EXPECT_NE(message.find(why), std::string::npos) << message;
  };
  EXPECT_EQ(refusal(), "") << "the intact cache must read back";

  put(good.substr(0, good.size() - 6));
  expect_refused("truncated");
  put(good.substr(0, 20));
  expect_refused("truncated");
  put(good + "xx");
  expect_refused("too long");
  std::string flipped = good;
  flipped[train::kEncodingHeaderSize + 17] ^= 0x10;
  put(flipped);
  expect_refused("payload checksum mismatch");
  flipped = good;
  flipped[30] ^= 0x01;  // the frame count
  put(flipped);
  expect_refused("header checksum mismatch");
  put(std::string(good.size(), 'x'));
  expect_refused("bad magic");

  // A sound file of another record, or of another encoder width, is refused too.
  const torch::Tensor one_frame = torch::ones({1, model.encoder().output_dim()});
  train::write_encoding(path, record + 1, 0, {one_frame, torch::zeros({1, tokenizer_units() + 1})});
  expect_refused("holds record " + std::to_string(record + 1));
  train::write_encoding(path, record, 0, {torch::ones({1, 3}), torch::zeros({1, tokenizer_units() + 1})});
  expect_refused("dim 3");

  // A sound file made from other features (the shard was rewritten): recomputed, not refused.
  put(good);
  data::Batch changed = batch;
  changed.features = batch.features.clone();
  changed.features[1] += 0.5;
  auto cache = make_cache(model, composition.config);
  EXPECT_EQ(error_of([&] { cache->encode(model, changed, rows, torch::kCPU); }), "");
  EXPECT_EQ(cache->stats().stale, 1);
  EXPECT_EQ(cache->stats().misses, 1);
  EXPECT_EQ(cache->stats().hits, int64_t(rows.size()) - 1);
}

// A trainable CTC head over a frozen trunk (the CTC bridge over a frozen
// Whisper): the cache keeps the trunk, the head runs live with gradients, so
// the loss and the head's gradients are the live encoder's, and a changed head
// is used at once (its logits are never read stale from the cache).
TEST_F(EncoderCacheTest, LiveCtcHeadOverTheCachedTrunkTrainsLikeTheLiveEncoder) {
  auto composition = compose({"interleaver.type=word", "encoder.ctc_vocab=" + std::to_string(tokenizer_units() + 1),
                              "speech.compress=ctc", "speech.posterior_embedding=true", "projector.stack=1"});
  const data::Batch batch = first_batch(composition.config);
  graph::SpeechLLM model(composition);
  nn::freeze_all(model.encoder());
  ASSERT_FALSE(train::live_ctc_head(model)) << "nothing trains: no live head";
  nn::unfreeze_matching(model.encoder(), {"^ctc_head\\."});
  ASSERT_TRUE(train::live_ctc_head(model));
  const std::string trunk_key = train::encoder_trunk_cache_key(model, composition.config).id;
  EXPECT_NE(trunk_key, train::encoder_cache_key(model, composition.config).id);

  const train::StageEncoderCache stage = train::encoder_cache_for_stage(model, composition.config, "bridge", nullptr);
  ASSERT_TRUE(stage.cache) << "only the CTC head trains: the trunk must be cached";
  EXPECT_EQ(stage.cache->key().id, trunk_key);

  graph::SampleBuilder builder(data::load_tokenizer(root_ + "/tok.model"),
                               graph::PromptDefinition::from_config(composition.config));
  const graph::CtcUnits units = graph::CtcUnits::from_config(composition.config);
  model.train();
  struct Result {
    double loss = 0, ctc = 0;
    std::vector<torch::Tensor> head_grads;
  };
  auto step = [&](train::EncoderCache* cache) {
    train::LossMode mode;
    mode.ctc = &units;
    mode.encoder_cache = cache;
    std::mt19937_64 rng(7);
    torch::manual_seed(11);
    model.zero_grad();
    train::BatchLoss b = train::batch_loss(model, builder, *composition.interleaver, "word", "pairs", batch, rng, mode);
    (b.loss * static_cast<double>(b.targets) + b.ctc_sum).backward();
    Result out{b.loss.item<double>(), b.ctc_sum.item<double>(), {}};
    for (const auto& item : model.encoder().named_parameters())
      if (item.key().rfind("ctc_head.", 0) == 0 && item.value().grad().defined())
        out.head_grads.push_back(item.value().grad().clone());
    return out;
  };
  auto expect_same = [](const Result& got, const Result& want, const std::string& what) {
    SCOPED_TRACE(what);
    EXPECT_NEAR(got.loss, want.loss, 1e-5 * std::abs(want.loss));
    EXPECT_NEAR(got.ctc, want.ctc, 1e-5 * std::abs(want.ctc));
    ASSERT_EQ(got.head_grads.size(), want.head_grads.size());
    ASSERT_FALSE(want.head_grads.empty()) << "the head must get gradients";
    for (size_t i = 0; i < want.head_grads.size(); ++i)
      EXPECT_TRUE(torch::allclose(got.head_grads[i], want.head_grads[i], 1e-4, 1e-6)) << "CTC head gradient " << i;
  };
  model.encoder().eval();
  const Result live = step(nullptr);
  model.encoder().train();
  expect_same(step(stage.cache.get()), live, "first (encoded and written)");
  const int64_t runs = model.encoder_runs();
  expect_same(step(stage.cache.get()), live, "second (read back)");
  EXPECT_EQ(model.encoder_runs(), runs) << "the trunk was cached: the encoder must not run";

  // The head moves (as an optimizer step would): the cached trunk with the new head = the live encoder.
  {
    torch::NoGradGuard no_grad;
    for (const auto& item : model.encoder().named_parameters())
      if (item.key().rfind("ctc_head.", 0) == 0) item.value().add_(torch::randn_like(item.value()) * 0.05);
  }
  EXPECT_EQ(train::encoder_trunk_cache_key(model, composition.config).id, trunk_key) << "the head is not in the key";
  model.encoder().eval();
  const Result moved = step(nullptr);
  model.encoder().train();
  EXPECT_GT(std::abs(moved.ctc - live.ctc), 1e-3) << "the moved head must change the CTC loss";
  const int64_t runs_after_live = model.encoder_runs();
  expect_same(step(stage.cache.get()), moved, "after the head moved");
  EXPECT_EQ(model.encoder_runs(), runs_after_live) << "the cached trunk serves the moved head";
  EXPECT_EQ(stage.cache->stats().misses, stage.cache->stats().hits / 2) << "one miss per row, then hits only";

  // The trunk trains too: no cache.
  nn::unfreeze_matching(model.encoder(), {"."});
  EXPECT_FALSE(train::live_ctc_head(model));
  EXPECT_FALSE(train::encoder_cache_for_stage(model, composition.config, "all", nullptr).cache);
}

// features.pad_30s: the encoder reads each row's whole window, and only the
// output frames covering the audio are kept (ceil(covered / 4) for the tiny
// transformer's x4 subsampling), zero beyond.
TEST_F(EncoderCacheTest, PaddedWindowsKeepTheFramesCoveringTheAudio) {
  auto composition = compose({"features={type: whisper_mel, pad_30s: true}", "encoder.dropout=0"});
  graph::SpeechLLM model(composition);
  model.eval();
  ASSERT_TRUE(model.pad_30s());
  torch::NoGradGuard no_grad;
  const auto features = torch::randn({2, 400, 80});
  const auto window = torch::tensor({400, 400}, torch::kLong);
  const auto covered = torch::tensor({120, 81}, torch::kLong);
  const EncoderOutput whole = model.encoder().encode(features, window);
  for (const auto& out : {model.run_encoder(features, window, covered), model.run_encoder(features, covered)}) {
    ASSERT_EQ(out.lengths.size(0), 2);
    EXPECT_EQ(out.lengths[0].item<int64_t>(), 30);
    EXPECT_EQ(out.lengths[1].item<int64_t>(), 21);
    ASSERT_EQ(out.hidden.size(1), 30);
    EXPECT_TRUE(torch::equal(out.hidden[0], whole.hidden[0].narrow(0, 0, 30)));
    EXPECT_TRUE(torch::equal(out.hidden[1].narrow(0, 0, 21), whole.hidden[1].narrow(0, 0, 21)));
    EXPECT_EQ(out.hidden[1].narrow(0, 21, 9).abs().sum().item<double>(), 0.0);
  }
  // A row without audio stays without: 0 frames read, none kept.
  const auto out = model.run_encoder(features, torch::tensor({400, 0}, torch::kLong), torch::tensor({120, 0}, torch::kLong));
  EXPECT_EQ(out.lengths[1].item<int64_t>(), 0);
}

}  // namespace
