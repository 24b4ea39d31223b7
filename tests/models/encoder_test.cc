// Speech encoders (conformer, transformer): shapes, x4 down-sampling, CTC head,
// padding invariance (NaN padding included), weights round trip.
#include "conformer_encoder.h"
#include "jstip/nn/state_dict.h"
#include "jstip/safetensors.h"
#include "model_test_util.h"
#include "transformer_encoder.h"

using jstip::testing::make_config;
using jstip::testing::max_abs_diff;

namespace {

struct EncoderCase {
  std::string name;
  std::function<std::shared_ptr<jstip::SpeechEncoder>(std::map<std::string, std::string>)> make;
};

std::map<std::string, std::string> tiny(std::map<std::string, std::string> extra = {}) {
  std::map<std::string, std::string> o = {{"input_dim", "12"}, {"d_model", "16"}, {"num_layers", "2"},
                                          {"num_heads", "2"},  {"ffn_dim", "32"}, {"dropout", "0.0"}};
  for (auto& [k, v] : extra) o[k] = v;
  return o;
}

std::vector<EncoderCase> encoder_cases() {
  return {
      {"conformer",
       [](std::map<std::string, std::string> o) {
         o["conv_kernel"] = "5";
         return std::make_shared<jstip::conformer::ConformerEncoder>(make_config(jstip::conformer::kConformerOptions, o));
       }},
      {"transformer",
       [](std::map<std::string, std::string> o) {
         return std::make_shared<jstip::transformer::TransformerEncoder>(
             make_config(jstip::transformer::kTransformerOptions, o));
       }},
  };
}

void PrintTo(const EncoderCase& c, std::ostream* os) { *os << c.name; }

class Encoder : public ::testing::TestWithParam<EncoderCase> {};

}  // namespace

TEST_P(Encoder, ShapesLengthsAndCtcHead) {
  auto encoder = GetParam().make(tiny({{"ctc_vocab", "7"}}));
  EXPECT_EQ(encoder->downsampling(), 4);
  EXPECT_EQ(encoder->output_dim(), 16);
  auto lengths = torch::tensor({40, 33, 17, 7}, torch::kInt64);
  auto out = encoder->encode(torch::randn({4, 40, 12}), lengths);
  EXPECT_EQ(out.hidden.sizes(), (std::vector<int64_t>{4, 9, 16}));
  EXPECT_TRUE(torch::equal(out.lengths, torch::tensor({9, 7, 3, 1}, torch::kInt64)));
  ASSERT_TRUE(out.ctc_logits.defined());
  EXPECT_EQ(out.ctc_logits.sizes(), (std::vector<int64_t>{4, 9, 7}));
  // Gradients reach the first layer.
  (out.hidden.pow(2).sum() + out.ctc_logits.pow(2).sum()).backward();
  for (auto& p : encoder->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
}

TEST_P(Encoder, OutputDoesNotDependOnPaddingOrBatchmates) {
  torch::manual_seed(0);
  auto encoder = GetParam().make(tiny());
  encoder->eval();
  torch::NoGradGuard no_grad;
  std::vector<int64_t> lens = {50, 29, 11};
  auto feats = torch::randn({3, 50, 12});
  auto padded = feats.clone();
  for (int64_t b = 0; b < 3; ++b)
    padded.index_put_({b, torch::indexing::Slice(lens[b], torch::indexing::None)}, std::nan(""));
  auto batched = encoder->encode(padded, torch::tensor(lens, torch::kInt64));
  EXPECT_FALSE(torch::isnan(batched.hidden).any().item<bool>());
  for (int64_t b = 0; b < 3; ++b) {
    auto alone = encoder->encode(feats.index({torch::indexing::Slice(b, b + 1), torch::indexing::Slice(0, lens[b])}),
                                 torch::tensor({lens[b]}, torch::kInt64));
    int64_t n = alone.lengths.item<int64_t>();
    EXPECT_EQ(batched.lengths[b].item<int64_t>(), n);
    EXPECT_EQ(alone.hidden.size(1), n);
    EXPECT_LT(max_abs_diff(batched.hidden[b].narrow(0, 0, n), alone.hidden[0]), 1e-5) << "row " << b;
    EXPECT_EQ(batched.hidden[b].narrow(0, n, batched.hidden.size(1) - n).abs().sum().item<double>(), 0.0);
  }
}

TEST_P(Encoder, PretrainedWeightsRoundTrip) {
  jstip::testing::TempDir dir;
  auto encoder = GetParam().make(tiny({{"ctc_vocab", "5"}}));
  encoder->eval();
  jstip::safetensors::save_file(dir.file("enc.safetensors"), jstip::nn::export_tensors(*encoder));
  auto loaded = GetParam().make(tiny({{"ctc_vocab", "5"}, {"pretrained", dir.file("enc.safetensors")}}));
  loaded->eval();
  auto feats = torch::randn({1, 20, 12});
  auto l = torch::tensor({20}, torch::kInt64);
  EXPECT_LT(max_abs_diff(encoder->encode(feats, l).ctc_logits, loaded->encode(feats, l).ctc_logits), 1e-6);
  // A checkpoint of another size names the offending tensor.
  jstip::testing::expect_error_containing(
      [&] { GetParam().make(tiny({{"ctc_vocab", "6"}, {"pretrained", dir.file("enc.safetensors")}})); },
      "ctc_head.");
}

// A narrower subsampling front end: its convolutions take the given channels,
// the encoder's output is unchanged in shape, padding invariance still holds.
TEST_P(Encoder, SubsamplingChannelsNarrowTheFrontEnd) {
  torch::manual_seed(1);
  auto encoder = GetParam().make(tiny({{"subsampling_channels", "4"}}));
  encoder->eval();
  std::map<std::string, std::vector<int64_t>> shapes;
  for (const auto& p : encoder->named_parameters()) shapes[p.key()] = p.value().sizes().vec();
  EXPECT_EQ(shapes.at("embed.conv1.weight"), (std::vector<int64_t>{4, 1, 3, 3}));
  EXPECT_EQ(shapes.at("embed.conv2.weight"), (std::vector<int64_t>{4, 4, 3, 3}));
  EXPECT_EQ(shapes.at("embed.out.weight"), (std::vector<int64_t>{16, 4 * 2}));  // 12 bins -> 2 after x4
  torch::NoGradGuard no_grad;
  auto feats = torch::randn({2, 30, 12});
  auto out = encoder->encode(feats, torch::tensor({30, 17}, torch::kInt64));
  EXPECT_EQ(out.hidden.sizes(), (std::vector<int64_t>{2, 6, 16}));
  auto alone = encoder->encode(feats.narrow(0, 1, 1).narrow(1, 0, 17), torch::tensor({17}, torch::kInt64));
  EXPECT_LT(max_abs_diff(out.hidden[1].narrow(0, 0, 3), alone.hidden[0]), 1e-5);
  jstip::testing::expect_error_containing([&] { GetParam().make(tiny({{"subsampling_channels", "-1"}})); },
                                          "subsampling_channels must be >= 0");
}

TEST_P(Encoder, BadInputsAreExplained) {
  auto encoder = GetParam().make(tiny());
  jstip::testing::expect_error_containing(
      [&] { encoder->encode(torch::randn({1, 20, 10}), torch::tensor({20}, torch::kInt64)); }, "feats must be");
  jstip::testing::expect_error_containing(
      [&] { encoder->encode(torch::randn({1, 20, 12}), torch::tensor({21}, torch::kInt64)); }, "lengths");
}

INSTANTIATE_TEST_SUITE_P(All, Encoder, ::testing::ValuesIn(encoder_cases()),
                         [](const auto& info) { return info.param.name; });
