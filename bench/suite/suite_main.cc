// The C++ side of the performance suite (bench/run.sh runs it; see
// docs/performance.md): Google Benchmark cases for the matmul peak, the
// reference composition's training step (and its scaling with batch size and
// utterance length), interleave planning + splicing, greedy decoding and
// fbank, all in one process on the same machine state.
//   jstip_bench_suite --shards 'DIR/*.shard' --tokenizer TOK.model --work DIR
//                     [--config F]... [--smoke] [key=value...] [--benchmark_out=F ...]
//   jstip_bench_suite --decode-flops NAME=DIR/hyp.jsonl... --work DIR [--config F]...
// Writes DIR/cpp_facts.json (machine, BLAS, LibTorch, FLOPs of each case,
// peak RSS), DIR/trace/ (the reference batch for the Python peer) and
// DIR/wav/ (the audio, for torchaudio and pocketsphinx). The second form,
// run after `jstip decode`, writes DIR/decode_flops.json: the model FLOPs of
// each decode run (bench/suite/decode_flops.h) for the models in --config.
#include <benchmark/benchmark.h>
#include <sys/resource.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>

#include "bench/suite/decode_flops.h"
#include "bench/suite/decode_timing.h"
#include "bench/suite/fbank_timing.h"
#include "bench/suite/model_flops.h"
#include "bench/suite/reference_step.h"
#include "bench/suite/trace_writer.h"
#include "host/data/utterance.h"
#include "host/decode/decode_options.h"
#include "host/runtime/config_loader.h"
#include "host/runtime/startup.h"
#include "jstip/json.h"
#include "jstip/llm.h"
#include "jstip/nn/state_dict.h"
#include "jstip/safetensors.h"

namespace {

using namespace jstip;
using bench::ModelDims;

struct Args {
  bench::SuiteInputs inputs;
  std::string work = "bench-work";
  bool smoke = false;
  int threads = 0;  // 0: all cores
  std::vector<std::pair<std::string, std::string>> decode_runs;  // --decode-flops NAME=PATH
};

Args parse(int argc, char** argv) {
  Args a;
  bool configs_given = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(arg + " needs a value");
      return argv[++i];
    };
    if (arg == "--shards") a.inputs.shards = value();
    else if (arg == "--tokenizer") a.inputs.tokenizer = value();
    else if (arg == "--work") a.work = value();
    else if (arg == "--threads") a.threads = std::stoi(value());
    else if (arg == "--smoke") a.smoke = true;
    else if (arg == "--decode-flops") {
      const std::string v = value();
      const auto eq = v.find('=');
      if (eq == std::string::npos || eq == 0) throw std::invalid_argument("--decode-flops expects NAME=PATH, got '" + v + "'");
      a.decode_runs.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    }
    else if (arg == "--config") {
      if (!configs_given) a.inputs.configs.clear();
      configs_given = true;
      a.inputs.configs.push_back(value());
    } else if (arg.find('=') != std::string::npos && arg.rfind("--", 0) != 0) a.inputs.overrides.push_back(arg);
    else throw std::invalid_argument("unknown argument '" + arg + "' (see the comment at the top of suite_main.cc)");
  }
  if (a.decode_runs.empty() && (a.inputs.shards.empty() || a.inputs.tokenizer.empty()))
    throw std::invalid_argument("usage: jstip_bench_suite --shards GLOB --tokenizer MODEL --work DIR [--smoke]");
  return a;
}

// Runs `fn` once untimed (allocator and kernel warm-up), then once per iteration,
// reporting its own measured seconds (setup outside `fn` is not timed).
template <typename Fn>
void timed(benchmark::State& state, Fn&& fn) {
  fn();
  for (auto _ : state) state.SetIterationTime(fn());
}

// What the report needs besides the timings, keyed by benchmark name.
std::map<std::string, Json> g_case_facts;

void set_fact(const std::string& name, const std::string& key, Json value) {
  auto& facts = g_case_facts[name];
  if (!facts.is_object()) facts = Json::object();
  facts.set(key, std::move(value));
}

int64_t peak_rss_bytes() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<int64_t>(usage.ru_maxrss) * 1024;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

double training_step_flops(const ModelDims& dims, const train::BatchTrace& t) {
  double forward = 0;
  if (t.features.defined()) {
    forward += bench::encoder_flops(dims, t.features.size(0), t.features.size(1));
    forward += bench::projector_flops(dims, t.features.size(0), t.speech_time);
  }
  forward += bench::llm_flops(dims, t.spliced.embeddings.size(0), t.spliced.embeddings.size(1));
  return 3 * forward;
}

Json shape_facts(const train::BatchTrace& t) {
  Json j = Json::object();
  j.set("rows", Json::integer(t.spliced.embeddings.size(0)));
  j.set("llm_padded_length", Json::integer(t.spliced.embeddings.size(1)));
  int64_t positions = 0;
  for (auto l : t.spliced.lengths) positions += l;
  j.set("llm_positions", Json::integer(positions));
  if (t.features.defined()) {
    j.set("audio_rows", Json::integer(t.features.size(0)));
    j.set("feature_frames_padded", Json::integer(t.features.size(1)));
    j.set("speech_vectors_padded", Json::integer(t.speech_time));
  }
  return j;
}

void register_training(bench::ReferenceModel& reference, const ModelDims& dims, const Args& args, int threads) {
  const int iterations = args.smoke ? 1 : 5;
  // The reference batch: the config's own batching (max_utterances_per_batch, max_frames_per_batch).
  auto batch = std::make_shared<data::Batch>(reference.batch());
  // The trace comes from an eval-mode pass (no dropout), with the weights as they are then,
  // so the Python peer can check that it computes the same objective from the same weights.
  train::BatchTrace trace;
  const double objective = reference.eval_objective(*batch, &trace);
  Json extra = Json::object();
  extra.set("eval_objective", Json::number(objective));
  extra.set("ctc_weight", Json::number(reference.config().get_double("trainer.ctc_weight", 0.5)));
  extra.set("lr", Json::number(reference.config().get_double("trainer.lr", 1e-3)));
  extra.set("weight_decay", Json::number(reference.config().get_double("trainer.weight_decay", 0.01)));
  extra.set("dims", dims.to_json());
  extra.set("flops", Json::number(training_step_flops(dims, trace)));
  extra.set("grad_clip", Json::number(reference.config().get_double("trainer.grad_clip", 1.0)));
  bench::write_trace(args.work + "/trace", trace, extra);
  safetensors::save_file(args.work + "/trace/model.safetensors", jstip::nn::export_tensors(reference.model()));
  const std::string name = "train_step/reference";
  set_fact(name, "flops", Json::number(training_step_flops(dims, trace)));
  set_fact(name, "shape", shape_facts(trace));
  set_fact(name, "utterances", Json::integer(static_cast<int64_t>(batch->records.size())));
  benchmark::RegisterBenchmark(name.c_str(), [&reference, batch, threads, name](benchmark::State& s) {
    at::set_num_threads(threads);
    timed(s, [&] { return reference.step(*batch); });
    set_fact(name, "peak_rss_bytes", Json::integer(peak_rss_bytes()));  // process peak so far
  })->UseManualTime()->Iterations(iterations)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("interleave/plan_and_splice", [&reference, batch, threads](benchmark::State& s) {
    at::set_num_threads(threads);
    timed(s, [&] { return reference.plan_and_splice(*batch); });
  })->UseManualTime()->Iterations(args.smoke ? 1 : 20)->Unit(benchmark::kMillisecond);
  if (args.smoke) return;

  // Scaling: batch size (utterances of similar length), then utterance length at 4 per batch.
  std::vector<std::pair<std::string, std::shared_ptr<data::Batch>>> cases;
  for (int64_t utterances : {1, 4, 16})
    cases.emplace_back("train_step/batch:" + std::to_string(utterances),
                       std::make_shared<data::Batch>(reference.batch(utterances, 1 << 30)));
  auto fours = reference.batches(4, 1 << 30);
  fours.erase(std::remove_if(fours.begin(), fours.end(), [](const data::Batch& b) { return b.records.size() != 4; }),
              fours.end());
  std::sort(fours.begin(), fours.end(), [](const auto& a, const auto& b) { return a.features.size(1) < b.features.size(1); });
  if (!fours.empty())
    for (size_t i : {size_t(0), fours.size() / 2, fours.size() - 1})
      cases.emplace_back("train_step/batch:4/frames:" + std::to_string(fours[i].features.size(1)),
                         std::make_shared<data::Batch>(fours[i]));
  for (const auto& [case_name, b] : cases) {
    if (g_case_facts.count(case_name)) continue;  // the same batch twice
    train::BatchTrace t;
    reference.step(*b, &t);
    set_fact(case_name, "flops", Json::number(training_step_flops(dims, t)));
    set_fact(case_name, "shape", shape_facts(t));
    set_fact(case_name, "utterances", Json::integer(static_cast<int64_t>(b->records.size())));
    benchmark::RegisterBenchmark(case_name.c_str(), [&reference, b = b, threads](benchmark::State& s) {
      at::set_num_threads(threads);
      timed(s, [&] { return reference.step(*b); });
    })->UseManualTime()->Iterations(3)->Unit(benchmark::kMillisecond);
  }
}

// The `count` longest utterances of the shards as one zero-padded batch, the
// first batch `jstip decode` makes (it sorts by length).
data::Batch longest_utterances(const bench::ReferenceModel& reference, int64_t count) {
  std::vector<std::pair<int64_t, torch::Tensor>> rows;  // (frames, [frames, bins])
  for (const auto& b : reference.batches())
    for (int64_t r = 0; r < b.features.size(0); ++r) {
      const int64_t frames = b.feature_lengths[r].item<int64_t>();
      if (frames > 0) rows.emplace_back(frames, b.features[r].narrow(0, 0, frames));
    }
  std::stable_sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  rows.resize(std::min<size_t>(rows.size(), size_t(count)));
  std::vector<torch::Tensor> features;
  std::vector<int64_t> lengths;
  for (const auto& [frames, row] : rows) {
    features.push_back(row);
    lengths.push_back(frames);
  }
  data::Batch out;
  out.features = torch::nn::utils::rnn::pad_sequence(features, /*batch_first=*/true);
  out.feature_lengths = torch::tensor(lengths, torch::kLong);
  return out;
}

// Decoding prefix: the prompt and ~3 s of CTC-compressed speech, as a real decode sees it.
constexpr int64_t kPrefix = 100;

void register_decoding(bench::ReferenceModel& reference, const ModelDims& dims, const Args& args, int threads) {
  LanguageModel* llm = &reference.model().llm();
  auto add = [&](int64_t batch, int64_t new_tokens) {
    const std::string name = "decode/greedy/batch:" + std::to_string(batch) + "/new:" + std::to_string(new_tokens);
    double flops = bench::llm_flops(dims, batch, kPrefix);
    for (int64_t k = 0; k < new_tokens; ++k) flops += bench::llm_decode_step_flops(dims, batch, kPrefix + k + 1);
    set_fact(name, "flops", Json::number(flops));
    set_fact(name, "tokens", Json::integer(batch * new_tokens));
    set_fact(name, "utterances", Json::integer(batch));
    set_fact(name, "prefix", Json::integer(kPrefix));
    benchmark::RegisterBenchmark(name.c_str(), [llm, batch, new_tokens, threads](benchmark::State& s) {
      at::set_num_threads(threads);
      timed(s, [&] { return bench::greedy_decode_seconds(*llm, batch, kPrefix, new_tokens); });
    })->UseManualTime()->Iterations(args.smoke ? 1 : 5)->Unit(benchmark::kMillisecond);
  };
  // The encoder + projector on the longest 16 utterances in one call, in the
  // groups `jstip decode` makes on a CPU, and one at a time. FLOPs: each
  // row's own frames (the work all three must do); padding is extra work.
  auto longest = std::make_shared<data::Batch>(longest_utterances(reference, args.smoke ? 2 : 16));
  double useful_flops = 0;
  for (int64_t b = 0; b < longest->features.size(0); ++b)
    useful_flops += bench::encoder_flops(dims, 1, longest->feature_lengths[b].item<int64_t>());
  const std::pair<const char*, int64_t> groupings[] = {
      {"encode/one_call", 0}, {"encode/cpu_groups", decode::kCpuEncoderFramesPerCall}, {"encode/one_by_one", 1}};
  for (const auto& [name, max_frames] : groupings) {
    set_fact(name, "flops", Json::number(useful_flops));
    set_fact(name, "utterances", Json::integer(longest->features.size(0)));
    set_fact(name, "max_padded_frames", Json::integer(max_frames));
    if (max_frames == 0)
      set_fact(name, "padded_flops",
               Json::number(bench::encoder_flops(dims, longest->features.size(0), longest->features.size(1))));
    benchmark::RegisterBenchmark(name, [&reference, longest, max_frames = max_frames, threads](benchmark::State& s) {
      at::set_num_threads(threads);
      timed(s, [&] {
        return bench::encode_seconds(reference.model(), longest->features, longest->feature_lengths, max_frames);
      });
    })->UseManualTime()->Iterations(args.smoke ? 1 : 5)->Unit(benchmark::kMillisecond);
  }
  const int64_t tokens = args.smoke ? 4 : 32;
  add(1, tokens);
  add(16, tokens);
  if (!args.smoke)
    for (int64_t n : {8, 128}) add(1, n);  // decode time vs output length (with 32 above)
}

// Registered first and last: on a shared machine the load changes during the run, and the
// report takes the higher of the two as the peak.
void register_matmul(const Args& args, const std::string& suffix) {
  const int64_t n = args.smoke ? 256 : 1024;
  const int max_threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int threads = 1; threads <= std::min(2, max_threads); ++threads) {
    const std::string name = "matmul/n:" + std::to_string(n) + "/threads:" + std::to_string(threads) + suffix;
    set_fact(name, "flops", Json::number(2.0 * n * n * n));
    set_fact(name, "threads", Json::integer(threads));
    benchmark::RegisterBenchmark(name.c_str(), [n, threads](benchmark::State& s) {
      at::set_num_threads(threads);
      torch::NoGradGuard no_grad;
      auto a = torch::randn({n, n}), b = torch::randn({n, n}), c = torch::empty({n, n});
      timed(s, [&] {
        const auto start = std::chrono::steady_clock::now();
        torch::mm_out(c, a, b);
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      });
    })->UseManualTime()->Iterations(args.smoke ? 3 : 30)->Unit(benchmark::kMillisecond);
  }
}

void register_fbank(bench::ReferenceModel& reference, const Args& args) {
  auto waves = std::make_shared<std::vector<std::vector<float>>>();
  for (const auto& r : reference.records())
    if (!data::is_text_only(r)) waves->push_back(data::utterance_samples(r));
  if (args.smoke && waves->size() > 4) waves->resize(4);
  // Also exports the WAVs the Python peer and pocketsphinx read.
  const auto probe = bench::time_fbank(*waves, 1, args.work + "/wav");
  set_fact("fbank/one_by_one", "audio_seconds", Json::number(probe.audio_seconds));
  set_fact("fbank/batched", "audio_seconds", Json::number(probe.audio_seconds));
  // fbank runs on one thread, like a data-loader worker.
  benchmark::RegisterBenchmark("fbank/one_by_one", [waves](benchmark::State& s) {
    at::set_num_threads(1);
    timed(s, [&] { return bench::time_fbank(*waves, 1, "").one_by_one_seconds; });
  })->UseManualTime()->Iterations(args.smoke ? 1 : 5)->Unit(benchmark::kMillisecond);
  benchmark::RegisterBenchmark("fbank/batched", [waves](benchmark::State& s) {
    at::set_num_threads(1);
    timed(s, [&] { return bench::time_fbank(*waves, 1, "").batched_seconds; });
  })->UseManualTime()->Iterations(args.smoke ? 1 : 5)->Unit(benchmark::kMillisecond);
}

void write_facts(const Args& args, int threads, const host::BlasReport& blas, int64_t setup_rss) {
  Json j = Json::object();
  j.set("cpu", Json::string(cpu_model()));
  j.set("cores", Json::integer(std::thread::hardware_concurrency()));
  j.set("threads", Json::integer(threads));
  j.set("blas_library", Json::string(blas.library.empty() ? "unknown" : blas.library));
  j.set("blas_probe_gflops", Json::number(blas.gflops));
  j.set("libtorch_version", Json::string(TORCH_VERSION));
  j.set("smoke", Json::boolean(args.smoke));
  j.set("peak_rss_bytes_after_setup", Json::integer(setup_rss));
  j.set("peak_rss_bytes", Json::integer(peak_rss_bytes()));
  Json cases = Json::object();
  for (const auto& [name, facts] : g_case_facts) cases.set(name, facts);
  j.set("cases", cases);
  write_json_file(args.work + "/cpp_facts.json", j);
}

void write_decode_flops(const Args& args) {
  const Config config = host::load_config(args.inputs.configs, args.inputs.overrides);
  const ModelDims dims = ModelDims::from_config(config);
  Json runs = Json::object();
  for (const auto& [name, path] : args.decode_runs) runs.set(name, bench::decode_flops(dims, path).to_json());
  write_json_file(args.work + "/decode_flops.json", runs);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // takes the --benchmark_* flags out of argv
  try {
    const Args args = parse(argc, argv);
    if (!args.decode_runs.empty()) {
      write_decode_flops(args);
      return 0;
    }
    host::init_logging("warn");
    const int threads = host::init_threads(args.threads);
    host::tune_allocator();  // as every jstip command does at start-up
    const host::BlasReport blas = host::check_blas(/*always_measure=*/true);
    std::filesystem::create_directories(args.work);
    bench::ReferenceModel reference(args.inputs);
    const ModelDims dims = ModelDims::from_config(reference.config());
    register_matmul(args, "");
    register_fbank(reference, args);
    register_training(reference, dims, args, threads);
    register_decoding(reference, dims, args, threads);
    register_matmul(args, "/again");
    const int64_t setup_rss = peak_rss_bytes();
    benchmark::RunSpecifiedBenchmarks();
    benchmark::Shutdown();
    write_facts(args, threads, blas, setup_rss);
  } catch (const std::exception& e) {
    std::cerr << "jstip_bench_suite: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
