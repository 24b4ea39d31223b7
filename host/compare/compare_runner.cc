#include "host/compare/compare_runner.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <exception>
#include <fstream>
#include <functional>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>

#include "host/compare/gnuplot_plots.h"
#include "host/compare/markdown_report.h"
#include "host/compare/process_runner.h"
#include "host/compare/results_json.h"
#include "host/compare/results_reader.h"
#include "host/compare/train_budget.h"
#include "host/runtime/config_loader.h"
#include "host/train/checkpoint.h"
#include "jstip/json.h"

namespace jstip::compare {

namespace fs = std::filesystem;

namespace {

// Runs children of this binary with the options every command takes.
class Children {
 public:
  explicit Children(const CompareRequest& request) : request_(request), exe_(self_executable()) {}

  // Returns the exit status; logs the command line first.
  int run(const std::string& label, std::vector<std::string> words) const {
    std::vector<std::string> argv = {exe_};
    argv.insert(argv.end(), words.begin(), words.end());
    if (request_.threads > 0) argv.insert(argv.end(), {"--threads", std::to_string(request_.threads)});
    if (!request_.log_level.empty()) argv.insert(argv.end(), {"--log-level", request_.log_level});
    spdlog::info("compare: {}: {}", label, command_line(argv));
    ProcessOptions options;
    options.prefix = "[" + label + "] ";
    const int rc = run_process(argv, options);
    if (rc != 0) spdlog::error("compare: {} failed with exit status {}: {}", label, rc, command_line(argv));
    return rc;
  }

 private:
  const CompareRequest& request_;
  std::string exe_;
};

std::string relative_to(const fs::path& path, const fs::path& base) {
  std::error_code ec;
  const fs::path rel = fs::relative(path, base, ec);
  return ec || rel.empty() || rel.string().rfind("..", 0) == 0 ? path.string() : rel.string();
}

std::string describe_decoding(const CompareRequest& r) {
  std::string text = r.beam > 0 ? "beam " + std::to_string(r.beam) : "decode's default search";
  if (r.limit > 0) text += ", first " + std::to_string(r.limit) + " utterances per test set";
  return text;
}

// Trains the config unless --reuse finds it finished (resumes it when
// unfinished). Fills run->reused and the wall time; returns the exit status.
int train_or_reuse(const Children& children, const CompareRequest& request, const std::string& config,
                   const std::vector<std::string>& overrides, int64_t total, ConfigRun* run) {
  const fs::path wall_file = fs::path(run->run_dir) / "compare_train.json";
  const std::string latest = train::resolve_checkpoint(run->run_dir);
  const int64_t done = latest.empty() ? 0 : read_json_file(latest + "/trainer_state.json").get_int("step", 0);
  double earlier_wall = 0;
  if (request.reuse && fs::exists(wall_file)) earlier_wall = read_json_file(wall_file.string()).get_double("wall_seconds", 0);
  if (request.reuse && !latest.empty() && done >= total) {
    spdlog::info("compare: {}: reusing the finished run {} (step {})", run->name, run->run_dir, done);
    run->reused = true;
    if (earlier_wall > 0) run->train_wall_seconds = earlier_wall;
    return 0;
  }
  std::vector<std::string> words = {"train", config};
  words.insert(words.end(), overrides.begin(), overrides.end());
  if (request.quiet) words.push_back("--quiet");
  if (request.reuse && !latest.empty()) {
    spdlog::info("compare: {}: resuming the unfinished run {} at step {} of {}", run->name, run->run_dir, done, total);
    words.insert(words.end(), {"--resume", run->run_dir});
  } else {
    earlier_wall = 0;
    if (fs::exists(run->run_dir)) {
      spdlog::info("compare: {}: removing the earlier run {} (--reuse keeps it)", run->name, run->run_dir);
      fs::remove_all(run->run_dir);
    }
  }
  const auto start = std::chrono::steady_clock::now();
  const int rc = children.run("train " + run->name, words);
  if (rc != 0) return rc;
  run->train_wall_seconds = earlier_wall + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  Json record = Json::object();
  record.set("wall_seconds", Json::number(*run->train_wall_seconds));
  write_json_file(wall_file.string(), record);
  return 0;
}

// The checkpoint to decode: the best dev loss one when the run recorded it,
// else the latest. Returns its path; run->checkpoint shows it relative to `out`.
std::string choose_checkpoint(ConfigRun* run, const fs::path& out) {
  const std::string latest = train::resolve_checkpoint(run->run_dir);
  if (latest.empty()) throw std::runtime_error(run->run_dir + ": training left no checkpoint");
  const Json state = read_json_file(latest + "/trainer_state.json");
  run->steps = state.get_int("step", 0);
  // Found next to `latest` too: a run folder moved after training keeps its best checkpoint.
  const std::string best = train::find_best_checkpoint(state.get_string("best_checkpoint", ""), latest);
  const bool use_best = !best.empty();
  run->checkpoint = relative_to(use_best ? best : latest, out);
  run->checkpoint_choice = use_best ? "best dev loss" : "latest";
  return use_best ? best : latest;
}

void write_reports(const Comparison& comparison, const fs::path& out,
                   const std::vector<std::pair<std::string, std::string>>& plots) {
  write_json_file((out / "results.json").string(), results_json(comparison));
  std::ofstream md(out / "results.md", std::ios::trunc);
  md << markdown_report(comparison, plots);
  if (!md) throw std::runtime_error("cannot write " + (out / "results.md").string());
}

// A config ready to run: its overrides (budget, output_dir) resolved up front.
struct PlannedRun {
  std::string config;
  std::vector<std::string> overrides;
  int64_t total_steps = 0;
  ConfigRun run;
};

// One config's pipeline: train (or reuse), choose the checkpoint, decode and
// score every test set. Returns 0 or the failing child's exit status.
int run_config(const Children& children, const CompareRequest& request, const fs::path& out, PlannedRun* plan) {
  ConfigRun& run = plan->run;
  if (int rc = train_or_reuse(children, request, plan->config, plan->overrides, plan->total_steps, &run)) return rc;
  const std::string checkpoint = choose_checkpoint(&run, out);
  read_training_metrics((fs::path(run.run_dir) / "metrics.jsonl").string(), &run);
  spdlog::info("compare: {}: decoding with {} ({})", run.name, run.checkpoint, run.checkpoint_choice);

  for (const auto& test : request.tests) {
    const std::string label = run.name + "/" + test.name;
    const fs::path decode_dir = out / "decode" / run.name / test.name;
    const fs::path eval_dir = out / "eval" / run.name / test.name;
    std::vector<std::string> decode = {"decode", checkpoint, "--data", test.glob, "--out", decode_dir.string()};
    if (request.beam > 0) decode.insert(decode.end(), {"--beam", std::to_string(request.beam)});
    if (request.batch > 0) decode.insert(decode.end(), {"--batch", std::to_string(request.batch)});
    if (request.limit > 0) decode.insert(decode.end(), {"--limit", std::to_string(request.limit)});
    if (int rc = children.run("decode " + label, decode)) return rc;
    if (int rc = children.run("eval " + label, {"eval", "--hyp", (decode_dir / "hyp.jsonl").string(), "--out",
                                                eval_dir.string()}))
      return rc;
    TestScore score = read_eval_summary((eval_dir / "summary.json").string(), test.name);
    const fs::path decode_summary = decode_dir / "decode_summary.json";
    if (fs::exists(decode_summary)) {
      read_decode_summary(decode_summary.string(), &score);
    } else {
      spdlog::warn("compare: {}: {} is missing; no real-time factor", label, decode_summary.string());
    }
    run.scores.push_back(score);
  }
  return 0;
}

// Runs `pipeline` on every plan, `jobs` at a time, taking plans in order; each
// finished plan is reported (for partial results). After the first failure no
// new plan starts and the running ones finish; returns that failure's status,
// or rethrows its exception.
int run_in_parallel(std::vector<PlannedRun>& plans, int64_t jobs, const std::function<int(PlannedRun&)>& pipeline,
                    const std::function<void(const std::vector<char>&)>& report) {
  std::mutex mutex;
  size_t next = 0;
  int first_failure = 0;
  std::exception_ptr first_error;
  std::vector<char> finished(plans.size(), 0);
  auto worker = [&] {
    while (true) {
      size_t index;
      {
        std::lock_guard<std::mutex> lock(mutex);
        if (first_failure != 0 || first_error || next == plans.size()) return;
        index = next++;
      }
      int rc = 0;
      std::exception_ptr error;
      try {
        rc = pipeline(plans[index]);
      } catch (...) {
        error = std::current_exception();
      }
      std::lock_guard<std::mutex> lock(mutex);
      if (error && !first_error && first_failure == 0) first_error = error;
      if (rc != 0 && !first_error && first_failure == 0) first_failure = rc;
      if (rc == 0 && !error) {
        finished[index] = 1;
        report(finished);
      }
    }
  };
  const size_t workers = std::min<size_t>(std::max<int64_t>(jobs, 1), plans.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < workers; ++i) threads.emplace_back(worker);
  worker();
  for (auto& t : threads) t.join();
  if (first_error) std::rethrow_exception(first_error);
  return first_failure;
}

}  // namespace

void check_name(const std::string& name, const std::string& what) {
  if (name.empty()) throw std::invalid_argument(what + ": empty name");
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '+' && c != '-')
      throw std::invalid_argument(what + " '" + name +
                                  "': names become folder names; use letters, digits and . _ + - only");
}

TestSet parse_test_set(const std::string& argument) {
  const auto eq = argument.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == argument.size())
    throw std::invalid_argument("--test '" + argument + "': expected NAME=GLOB, e.g. --test clean='data/test/*.shard'");
  TestSet test{argument.substr(0, eq), argument.substr(eq + 1)};
  check_name(test.name, "--test");
  return test;
}

int run_comparison(const CompareRequest& request) {
  if (request.configs.empty()) throw std::invalid_argument("compare: give at least one CONFIG");
  if (request.tests.empty()) throw std::invalid_argument("compare: give at least one --test NAME=GLOB");
  if (request.out_dir.empty()) throw std::invalid_argument("compare: --out DIR is required");
  std::set<std::string> test_names;
  for (const auto& t : request.tests)
    if (!test_names.insert(t.name).second) throw std::invalid_argument("--test: the name '" + t.name + "' is given twice");
  std::set<std::string> names;
  for (const auto& config : request.configs) {
    const std::string name = fs::path(config).stem().string();
    check_name(name, "config " + config);
    if (!names.insert(name).second)
      throw std::invalid_argument("config " + config + ": another config has the same name '" + name +
                                  "' (the file stem names its run folder)");
  }
  // Before any training: plots need gnuplot, and failing late would waste the runs.
  const std::string gnuplot = require_gnuplot();
  const std::string terminal = choose_png_terminal(gnuplot);

  const fs::path out = fs::absolute(request.out_dir).lexically_normal();
  fs::create_directories(out);
  const Children children(request);
  Comparison comparison;
  comparison.tests = request.tests;
  comparison.decoding = describe_decoding(request);

  // Resolve every config first: a bad config or override fails before any training.
  std::vector<PlannedRun> plans;
  for (const auto& config : request.configs) {
    PlannedRun plan;
    plan.config = config;
    plan.run.name = fs::path(config).stem().string();
    plan.run.config_path = config;
    plan.run.run_dir = (out / "runs" / plan.run.name).string();
    plan.overrides = request.overrides;
    Config resolved = host::load_config({config}, plan.overrides);
    if (request.steps > 0) {
      plan.overrides.push_back(stages_override(resolved, request.steps));
      resolved = host::load_config({config}, plan.overrides);
    }
    plan.total_steps = total_steps(resolved);
    plan.overrides.push_back("output_dir=" + plan.run.run_dir);
    plans.push_back(std::move(plan));
  }

  auto report_finished = [&](const std::vector<char>& finished) {
    comparison.runs.clear();
    for (size_t i = 0; i < plans.size(); ++i)
      if (finished[i]) comparison.runs.push_back(plans[i].run);
    write_reports(comparison, out, {});  // partial results survive a later failure
  };
  if (int rc = run_in_parallel(plans, request.jobs, [&](PlannedRun& plan) {
        return run_config(children, request, out, &plan);
      }, report_finished))
    return rc;
  comparison.runs.clear();
  for (const auto& plan : plans) comparison.runs.push_back(plan.run);

  // Plots of an earlier comparison in DIR (e.g. an entity plot) must not outlive it.
  for (const char* stale : {"loss.png", "wer.png", "entity_accuracy.png", "plots"}) fs::remove_all(out / stale);
  const auto plots = comparison_plots(comparison, terminal);
  render_plots(plots, out.string(), gnuplot);
  std::vector<std::pair<std::string, std::string>> links;
  for (const auto& p : plots) links.emplace_back(p.caption, p.png);
  write_reports(comparison, out, links);
  spdlog::info("compare: wrote {} and {} plots ({})", (out / "results.md").string(), plots.size(), terminal);
  return 0;
}

}  // namespace jstip::compare
