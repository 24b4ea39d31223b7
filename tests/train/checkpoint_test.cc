#include "host/train/checkpoint.h"
#include "jstip/json.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <chrono>
#include <filesystem>

namespace {

namespace fs = std::filesystem;
using namespace jstip::train;

struct Tiny : torch::nn::Module {
  explicit Tiny(int64_t width) {
    fc = register_module("fc", torch::nn::Linear(width, 3));
  }
  torch::nn::Linear fc{nullptr};
};

fs::path scratch(const std::string& name) {
  auto dir = fs::path(JSTIP_BINARY_DIR) / "test_scratch" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// While alive, every write past `bytes` fails (EFBIG, SIGXFSZ ignored), as on a full disk.
class FileSizeLimit {
 public:
  explicit FileSizeLimit(rlim_t bytes) {
    ::getrlimit(RLIMIT_FSIZE, &old_limit_);
    old_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    struct rlimit limit = old_limit_;
    limit.rlim_cur = bytes;
    ::setrlimit(RLIMIT_FSIZE, &limit);
  }
  ~FileSizeLimit() {
    ::setrlimit(RLIMIT_FSIZE, &old_limit_);
    std::signal(SIGXFSZ, old_handler_);
  }

 private:
  struct rlimit old_limit_ {};
  void (*old_handler_)(int) = nullptr;
};

TEST(Checkpoint, RoundTripsWeightsOptimizerAndState) {
  auto root = scratch("ckpt_roundtrip");
  auto model = std::make_shared<Tiny>(4);
  torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(0.1));
  model->fc(torch::randn({2, 4})).sum().backward();
  optimizer.step();
  jstip::Json state = jstip::Json::object();
  state.set("step", jstip::Json::integer(7));
  auto folder = save_checkpoint(root.string(), 7, *model, &optimizer, {state, "seed: 1\n"});
  EXPECT_EQ(resolve_checkpoint(root.string()), folder);

  auto restored = std::make_shared<Tiny>(4);
  torch::optim::AdamW restored_optimizer(restored->parameters(), torch::optim::AdamWOptions(0.1));
  auto content = load_checkpoint(folder, *restored, &restored_optimizer);
  EXPECT_EQ(content.trainer_state.get_int("step", -1), 7);
  EXPECT_EQ(content.config_yaml, "seed: 1\n");
  EXPECT_TRUE(torch::equal(model->fc->weight, restored->fc->weight));
  // The same next step from the same state gives the same weights.
  auto input = torch::randn({2, 4});
  optimizer.zero_grad();
  model->fc(input).sum().backward();
  optimizer.step();
  restored->fc(input).sum().backward();
  restored_optimizer.step();
  EXPECT_TRUE(torch::allclose(model->fc->weight, restored->fc->weight, 0, 0));
}

TEST(Checkpoint, DifferentCompositionNamesTheTensors) {
  auto root = scratch("ckpt_mismatch");
  auto model = std::make_shared<Tiny>(4);
  auto folder = save_checkpoint(root.string(), 1, *model, nullptr, {jstip::Json::object(), ""});
  auto wider = std::make_shared<Tiny>(5);
  try {
    load_checkpoint(folder, *wider, nullptr);
    FAIL();
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("fc.weight"), std::string::npos) << e.what();
  }
}

// Tiny plus a second layer: a composition with tensors Tiny lacks.
struct TinyWithHead : Tiny {
  TinyWithHead() : Tiny(4) { head = register_module("head", torch::nn::Linear(3, 2)); }
  torch::nn::Linear head{nullptr};
};

TEST(Checkpoint, MissingAndExtraTensorsAreNamedAndNothingIsLoaded) {
  auto root = scratch("ckpt_missing_extra");
  auto with_head = std::make_shared<TinyWithHead>();
  auto folder = save_checkpoint(root.string(), 1, *with_head, nullptr, {jstip::Json::object(), ""});
  // Extra tensors: the file has head.* that Tiny lacks.
  auto plain = std::make_shared<Tiny>(4);
  try {
    load_checkpoint(folder, *plain, nullptr);
    FAIL() << "a checkpoint with extra tensors loaded";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("is from a different composition: it has 2 tensors this model lacks"), std::string::npos) << what;
    EXPECT_NE(what.find("head.bias"), std::string::npos) << what;
    EXPECT_NE(what.find("head.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("model.safetensors"), std::string::npos) << what;
  }
  // A missing tensor: Tiny's checkpoint into TinyWithHead names head.* and changes nothing.
  auto plain_folder = save_checkpoint((root / "plain").string(), 1, *plain, nullptr, {jstip::Json::object(), ""});
  auto target = std::make_shared<TinyWithHead>();
  auto before = target->fc->weight.clone();
  try {
    load_checkpoint(plain_folder, *target, nullptr);
    FAIL() << "a checkpoint missing tensors loaded";
  } catch (const std::exception& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("tensor 'head."), std::string::npos) << what;
    EXPECT_NE(what.find("is missing from"), std::string::npos) << what;
  }
  EXPECT_TRUE(torch::equal(before, target->fc->weight)) << "a failed load changed the model";
}

TEST(Checkpoint, FullDiskKeepsThePreviousCheckpoint) {
  auto root = scratch("ckpt_full_disk");
  auto model = std::make_shared<Tiny>(64);
  auto first = save_checkpoint(root.string(), 1, *model, nullptr, {jstip::Json::object(), "a: 1\n"});
  std::string error;
  try {
    FileSizeLimit full_disk(512);
    save_checkpoint(root.string(), 2, *model, nullptr, {jstip::Json::object(), "a: 2\n"});
  } catch (const std::exception& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("earlier checkpoints are intact"), std::string::npos) << error;
  EXPECT_EQ(resolve_checkpoint(root.string()), first);
  for (const auto& entry : fs::directory_iterator(root))
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos) << "left behind: " << entry.path();
  auto restored = std::make_shared<Tiny>(64);
  EXPECT_NO_THROW(load_checkpoint(first, *restored, nullptr));
  EXPECT_TRUE(torch::equal(model->fc->weight, restored->fc->weight));
}

// trainer_state.json is rewritten in place inside a published checkpoint
// (best-checkpoint bookkeeping): a full disk must leave the old file whole.
// The new text fits the stream's buffer, so only the write at close fails.
TEST(Checkpoint, FullDiskKeepsAnExistingJsonFile) {
  auto root = scratch("json_full_disk");
  const std::string path = (root / "trainer_state.json").string();
  jstip::write_json_file(path, jstip::Json::object().set("step", jstip::Json::integer(1)));
  const std::string before = jstip::read_json_file(path).dump();
  jstip::Json big = jstip::Json::object();
  for (int i = 0; i < 200; ++i) big.set("key_" + std::to_string(i), jstip::Json::string("value"));
  std::string error;
  try {
    FileSizeLimit full_disk(512);
    jstip::write_json_file(path, big);
  } catch (const std::exception& e) {
    error = e.what();
  }
  EXPECT_NE(error.find("is unchanged"), std::string::npos) << "no error for a failed write: '" << error << "'";
  EXPECT_EQ(jstip::read_json_file(path).dump(), before);
  EXPECT_FALSE(fs::exists(path + ".tmp"));
}

// Big enough (4 MiB of weights) that a save takes milliseconds, so a kill can land inside it.
struct Wide : torch::nn::Module {
  Wide() { fc = register_module("fc", torch::nn::Linear(1024, 1024)); }
  torch::nn::Linear fc{nullptr};
};

bool has_temp_folder(const fs::path& root) {
  std::error_code ec;
  for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().filename().string().find(".tmp-") != std::string::npos) return true;
  return false;
}

// A forked writer saves checkpoints 1, 2, 3, ... (every weight = its step) until it is
// SIGKILLed the moment a half-written ".tmp-" folder appears. The kill lands inside
// save_checkpoint; `latest` must still name a whole checkpoint whose weights match its step.
TEST(Checkpoint, KillInsideSaveLeavesTheLatestCheckpointLoadable) {
  auto root = scratch("ckpt_kill_inside_save");
  bool killed_inside = false;
  for (int attempt = 0; attempt < 20 && !killed_inside; ++attempt) {
    const pid_t writer = ::fork();
    ASSERT_GE(writer, 0);
    if (writer == 0) {
      Wide model;
      torch::NoGradGuard no_grad;
      for (int64_t step = 1;; ++step) {
        for (auto& p : model.parameters()) p.fill_(static_cast<double>(step));
        save_checkpoint(root.string(), step, model, nullptr,
                        {jstip::Json::object().set("step", jstip::Json::integer(step)), "a: 1\n"});
      }
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    while (!fs::exists(root / "latest") && std::chrono::steady_clock::now() < deadline) {}
    while (!has_temp_folder(root) && std::chrono::steady_clock::now() < deadline) {}
    ::kill(writer, SIGKILL);
    int status = 0;
    ::waitpid(writer, &status, 0);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the writer stopped by itself (status " << status << ")";
    killed_inside = has_temp_folder(root);  // else it was renamed just before the kill: try again
  }
  ASSERT_TRUE(killed_inside) << "20 kills all missed the write";

  const std::string latest = resolve_checkpoint(root.string());
  ASSERT_FALSE(latest.empty()) << "no loadable checkpoint after the kill";
  Wide restored;
  const auto content = load_checkpoint(latest, restored, nullptr);
  const int64_t step = content.trainer_state.get_int("step", -1);
  EXPECT_GE(step, 1);
  for (const auto& p : restored.parameters())
    EXPECT_TRUE(torch::all(p == static_cast<double>(step)).item<bool>()) << latest << " holds another step's weights";

  // The next save clears the half-written folder.
  save_checkpoint(root.string(), step + 1, restored, nullptr,
                  {jstip::Json::object().set("step", jstip::Json::integer(step + 1)), "a: 1\n"});
  EXPECT_FALSE(has_temp_folder(root));
}

// A kill while a resumed run re-saves the step `latest` names (the old folder
// removed, the new one not yet renamed in) leaves `latest` naming nothing:
// the newest whole checkpoint is taken instead.
TEST(Checkpoint, LatestNamingARemovedFolderFallsBackToTheNewestWholeOne) {
  auto root = scratch("ckpt_latest_dangling");
  auto model = std::make_shared<Tiny>(2);
  std::vector<std::string> folders;
  for (int step = 1; step <= 3; ++step)
    folders.push_back(save_checkpoint(root.string(), step, *model, nullptr, {jstip::Json::object(), ""}));
  fs::remove_all(folders[2]);
  fs::create_directories(root / "step-00000003.tmp-1");  // the half-written replacement
  EXPECT_EQ(resolve_checkpoint(root.string()), folders[1]);
  fs::remove_all(folders[0]);
  fs::remove_all(folders[1]);
  EXPECT_EQ(resolve_checkpoint(root.string()), "");
}

TEST(Checkpoint, PruneKeepsTheNewestAndTheBest) {
  auto root = scratch("ckpt_prune");
  auto model = std::make_shared<Tiny>(2);
  std::vector<std::string> folders;
  for (int step = 1; step <= 5; ++step)
    folders.push_back(save_checkpoint(root.string(), step, *model, nullptr, {jstip::Json::object(), ""}));
  prune_checkpoints(root.string(), 2, folders[0]);
  EXPECT_TRUE(fs::exists(folders[0]));
  EXPECT_FALSE(fs::exists(folders[1]));
  EXPECT_FALSE(fs::exists(folders[2]));
  EXPECT_TRUE(fs::exists(folders[3]));
  EXPECT_TRUE(fs::exists(folders[4]));
}

// A run folder moved or copied after training: its trainer_state.json still
// names the best checkpoint where it was saved. decode, compare and a resumed
// trainer all look for it next to the checkpoint instead.
TEST(Checkpoint, BestIsFoundAfterTheRunMovedOrWasCopied) {
  auto root = scratch("ckpt_best_moved");
  auto model = std::make_shared<Tiny>(2);
  const std::string best = save_checkpoint(root.string(), 3, *model, nullptr, {jstip::Json::object(), ""});
  const std::string latest = save_checkpoint(root.string(), 5, *model, nullptr, {jstip::Json::object(), ""});
  EXPECT_EQ(find_best_checkpoint(best, latest), best);
  EXPECT_EQ(find_best_checkpoint("", latest), "");

  const fs::path moved = root.parent_path() / "ckpt_best_moved_elsewhere";
  fs::remove_all(moved);
  fs::rename(root, moved);
  const std::string latest_now = (moved / fs::path(latest).filename()).string();
  EXPECT_EQ(find_best_checkpoint(best, latest_now), (moved / fs::path(best).filename()).string());
  // A copy next to the original reads its own best, not the original's.
  const fs::path copy = root.parent_path() / "ckpt_best_copied";
  fs::remove_all(copy);
  fs::copy(moved, copy, fs::copy_options::recursive);
  fs::rename(moved, root);
  EXPECT_EQ(find_best_checkpoint(best, (copy / fs::path(latest).filename()).string()),
            (copy / fs::path(best).filename()).string());
  // Pruned since: no best, and the caller falls back to the latest.
  fs::remove_all(copy / fs::path(best).filename());
  fs::remove_all(root);
  EXPECT_EQ(find_best_checkpoint(best, (copy / fs::path(latest).filename()).string()), "");
}

}  // namespace
