// Projectors (stack_linear, conv1d, qformer): shapes, down-sampling factors and
// output lengths, padding invariance, host-filled dims.
#include "conv1d_projector.h"
#include "model_test_util.h"
#include "qformer_projector.h"
#include "stack_linear_projector.h"

using jstip::testing::make_config;
using jstip::testing::max_abs_diff;

namespace {

struct ProjectorCase {
  std::string name;
  std::function<std::shared_ptr<jstip::Projector>(std::map<std::string, std::string>)> make;
  int64_t factor;
  std::vector<int64_t> expected_lengths;  // for input lengths {23, 10, 1}
};

std::vector<ProjectorCase> projector_cases() {
  return {
      {"stack_linear",
       [](std::map<std::string, std::string> o) {
         o["stack"] = "4";
         o["hidden_dim"] = "20";
         return std::make_shared<jstip::stack_linear::StackLinearProjector>(
             make_config(jstip::stack_linear::kStackLinearOptions, o));
       },
       4, {6, 3, 1}},
      {"conv1d",
       [](std::map<std::string, std::string> o) {
         o["stride"] = "2";
         o["kernel_size"] = "3";
         return std::make_shared<jstip::conv1d::Conv1dProjector>(make_config(jstip::conv1d::kConv1dOptions, o));
       },
       2, {12, 5, 1}},
      {"qformer",
       [](std::map<std::string, std::string> o) {
         o.insert({{"num_queries", "5"}, {"d_model", "16"}, {"num_heads", "2"}, {"ffn_dim", "24"}, {"dropout", "0.0"}});
         return std::make_shared<jstip::qformer::QformerProjector>(make_config(jstip::qformer::kQformerOptions, o));
       },
       0, {5, 5, 5}},
  };
}

void PrintTo(const ProjectorCase& c, std::ostream* os) { *os << c.name; }

class ProjectorTest : public ::testing::TestWithParam<ProjectorCase> {};

std::map<std::string, std::string> dims() { return {{"input_dim", "8"}, {"output_dim", "12"}}; }

}  // namespace

TEST_P(ProjectorTest, ShapesFactorAndLengths) {
  auto projector = GetParam().make(dims());
  EXPECT_EQ(projector->downsampling(), GetParam().factor);
  EXPECT_EQ(projector->input_dim(), 8);
  EXPECT_EQ(projector->output_dim(), 12);
  auto out = projector->project(torch::randn({3, 23, 8}), torch::tensor({23, 10, 1}, torch::kInt64));
  EXPECT_TRUE(torch::equal(out.lengths, torch::tensor(GetParam().expected_lengths, torch::kInt64)));
  EXPECT_EQ(out.embeddings.size(0), 3);
  EXPECT_EQ(out.embeddings.size(1), out.lengths.max().item<int64_t>());
  EXPECT_EQ(out.embeddings.size(2), 12);
  out.embeddings.sum().backward();
  for (auto& p : projector->named_parameters()) {
    ASSERT_TRUE(p.value().grad().defined()) << p.key();
    EXPECT_TRUE(torch::isfinite(p.value().grad()).all().item<bool>()) << p.key();
  }
}

TEST_P(ProjectorTest, OutputDoesNotDependOnPaddingOrBatchmates) {
  torch::manual_seed(0);
  auto projector = GetParam().make(dims());
  projector->eval();
  torch::NoGradGuard no_grad;
  std::vector<int64_t> lens = {23, 10, 7};
  auto hidden = torch::randn({3, 23, 8});
  auto padded = hidden.clone();
  for (int64_t b = 0; b < 3; ++b)
    padded.index_put_({b, torch::indexing::Slice(lens[b], torch::indexing::None)}, std::nan(""));
  auto batched = projector->project(padded, torch::tensor(lens, torch::kInt64));
  EXPECT_FALSE(torch::isnan(batched.embeddings).any().item<bool>());
  for (int64_t b = 0; b < 3; ++b) {
    auto alone = projector->project(hidden.index({torch::indexing::Slice(b, b + 1), torch::indexing::Slice(0, lens[b])}),
                                    torch::tensor({lens[b]}, torch::kInt64));
    int64_t n = alone.lengths.item<int64_t>();
    EXPECT_EQ(batched.lengths[b].item<int64_t>(), n);
    EXPECT_LT(max_abs_diff(batched.embeddings[b].narrow(0, 0, n), alone.embeddings[0].narrow(0, 0, n)), 1e-5)
        << "row " << b;
  }
}

TEST_P(ProjectorTest, UnsetDimsAskForTheComposer) {
  jstip::testing::expect_error_containing([&] { GetParam().make({{"output_dim", "12"}}); }, "input_dim");
}

INSTANTIATE_TEST_SUITE_P(All, ProjectorTest, ::testing::ValuesIn(projector_cases()),
                         [](const auto& info) { return info.param.name; });
