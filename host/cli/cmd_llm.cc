// jstip llm generate | score: a pretrained LLM on its own, as llama.cpp's
// llama-cli / llama-perplexity use one; also how the reference checks
// (tests/reference/) reach the C++ model. MODEL is anything llm.pretrained
// accepts: a .gguf file or a Hugging Face folder.
#include <torch/torch.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "host/cli/command.h"
#include "host/cli/pretrained_llm.h"
#include "host/data/chat_template.h"
#include "host/data/tokenizer.h"
#include "jstip/json.h"
#include "jstip/llm.h"

namespace {

namespace fs = std::filesystem;
using jstip::LanguageModel;

// Logits [T, vocab] of one sequence, every position.
torch::Tensor all_logits(LanguageModel& llm, const std::vector<int>& ids) {
  auto tokens = torch::tensor(std::vector<int64_t>(ids.begin(), ids.end()), torch::kInt64).unsqueeze(0);
  const int64_t n = tokens.size(1);
  auto mask = torch::ones({1, n}, torch::kBool);
  auto positions = torch::arange(n, torch::kInt64).unsqueeze(0);
  return llm.forward_embeddings(llm.embed(tokens), mask, positions, nullptr).logits[0].to(torch::kFloat32);
}

// Greedy continuation with the KV cache; stops at `eos` (not printed) or after max_new tokens.
std::vector<int> greedy(LanguageModel& llm, const std::vector<int>& prompt, int64_t max_new, int eos) {
  jstip::KVCache cache;
  std::vector<int> out;
  auto step = torch::tensor(std::vector<int64_t>(prompt.begin(), prompt.end()), torch::kInt64).unsqueeze(0);
  int64_t past = 0;
  for (int64_t i = 0; i < max_new; ++i) {
    const int64_t n = step.size(1);
    auto mask = torch::ones({1, past + n}, torch::kBool);
    auto positions = torch::arange(past, past + n, torch::kInt64).unsqueeze(0);
    auto logits = llm.forward_embeddings(llm.embed(step), mask, positions, &cache).logits;
    const int next = static_cast<int>(logits[0][n - 1].argmax().item<int64_t>());
    past += n;
    if (next == eos) break;
    out.push_back(next);
    step = torch::tensor({int64_t(next)}, torch::kInt64).unsqueeze(0);
  }
  return out;
}

// .npy v1.0 writer for a float32 2-D tensor (for the reference checks' numpy).
void write_npy(const std::string& path, const torch::Tensor& t) {
  auto c = t.contiguous();
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(c.size(0)) + ", " +
                       std::to_string(c.size(1)) + "), }";
  header.append(64 - (10 + header.size() + 1) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  const uint16_t length = static_cast<uint16_t>(header.size());
  out.append(reinterpret_cast<const char*>(&length), 2);
  out += header;
  const std::string temp = path + ".tmp";
  std::ofstream f(temp, std::ios::binary);
  f.write(out.data(), std::streamsize(out.size()));
  f.write(static_cast<const char*>(c.data_ptr()), std::streamsize(c.nbytes()));
  if (!f) throw std::runtime_error(temp + ": cannot write");
  f.close();
  fs::rename(temp, path);
}

std::string ids_line(const std::vector<int>& ids) {
  std::string s;
  for (size_t i = 0; i < ids.size(); ++i) s += (i ? " " : "") + std::to_string(ids[i]);
  return s;
}

int run_generate(const jstip::cli::Args& args) {
  if (args.positional.size() != 1 || !args.options.count("prompt"))
    throw std::invalid_argument("usage: jstip llm generate MODEL --prompt TEXT [--chat] [--max-new N] [--ids]");
  const std::string model = args.positional[0];
  torch::NoGradGuard no_grad;
  auto tokenizer = jstip::data::load_tokenizer(model);
  auto llm = jstip::cli::load_pretrained_llm(model);
  std::string text = args.get("prompt");
  int eos = tokenizer->eos_id();
  if (args.options.count("chat")) {
    const auto chat = jstip::data::load_chat_template(model);
    text = chat.user_turn(text);
    if (auto id = tokenizer->token_id(chat.end_of_turn())) eos = *id;
  }
  const auto prompt = tokenizer->encode(text);
  if (prompt.empty()) throw std::invalid_argument("--prompt: the prompt encodes to no tokens");
  const auto out = greedy(*llm, prompt, args.get_int("max-new", 64), eos);
  if (args.options.count("ids")) std::cout << ids_line(out) << "\n";
  else std::cout << tokenizer->decode(out) << "\n";
  return 0;
}

int run_score(const jstip::cli::Args& args) {
  if (args.positional.size() != 1 || !args.options.count("text"))
    throw std::invalid_argument("usage: jstip llm score MODEL --text FILE [--logits-out DIR]");
  const std::string model = args.positional[0], path = args.get("text"), logits_dir = args.get("logits-out");
  const bool jsonl = path.size() > 6 && path.compare(path.size() - 6, 6, ".jsonl") == 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  if (!logits_dir.empty()) fs::create_directories(logits_dir);
  torch::NoGradGuard no_grad;
  auto tokenizer = jstip::data::load_tokenizer(model);
  auto llm = jstip::cli::load_pretrained_llm(model);
  std::string line;
  int64_t index = 0;
  while (std::getline(in, line)) {
    std::string text = line;
    if (jsonl) {
      jstip::Json j = jstip::Json::parse(line);
      if (!j.is_string()) throw std::runtime_error(path + ":" + std::to_string(index + 1) + ": expected a JSON string");
      text = j.as_string();
    }
    const auto ids = tokenizer->encode(text);
    if (ids.empty()) throw std::runtime_error(path + ":" + std::to_string(index + 1) + ": no tokens");
    auto logits = all_logits(*llm, ids);
    auto logprobs = torch::log_softmax(logits.to(torch::kFloat64), -1);
    std::ostringstream out;
    out << "{\"ids\":[";
    for (size_t i = 0; i < ids.size(); ++i) out << (i ? "," : "") << ids[i];
    out << "],\"logprobs\":[null";
    for (size_t i = 1; i < ids.size(); ++i) out << "," << logprobs[int64_t(i) - 1][ids[i]].item<double>();
    out << "]}";
    std::cout << out.str() << "\n";
    if (!logits_dir.empty()) write_npy((fs::path(logits_dir) / (std::to_string(index) + ".npy")).string(), logits);
    ++index;
  }
  return 0;
}

}  // namespace

JSTIP_COMMAND("llm generate", "Continue a prompt with a pretrained LLM (greedy)",
              "jstip llm generate MODEL --prompt TEXT [--chat] [--max-new N] [--ids]\n\n"
              "MODEL: a .gguf file or a Hugging Face folder. --chat wraps TEXT as one user turn\n"
              "in the model's own chat template (with its default system turn and the\n"
              "assistant prompt). Prints the generated text (--ids: the generated ids on one\n"
              "line); stops at the end-of-turn / eos token or after N tokens (default 64).",
              run_generate);
JSTIP_COMMAND("llm score", "Log-probabilities of each token of each line under a pretrained LLM",
              "jstip llm score MODEL --text FILE [--logits-out DIR]\n\n"
              "One JSON object per line of FILE: {\"ids\": [...], \"logprobs\": [null, ...]}, the\n"
              "log-probability of each token given the ones before it. A FILE ending in .jsonl\n"
              "holds one JSON string per line (texts with newlines). --logits-out writes\n"
              "DIR/<line>.npy: float32 [tokens, vocab], the raw logits at every position.",
              run_score);
