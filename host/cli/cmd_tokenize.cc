// jstip tokenize MODEL TEXT | --file FILE [--json]: token ids, as llama.cpp's
// llama-tokenize --ids prints them (special tokens in the text are matched).
#include <cstdio>
#include <fstream>
#include <iostream>

#include "host/cli/command.h"
#include "host/data/byte_bpe_tokenizer.h"
#include "host/data/tokenizer.h"

namespace {

// The words main() filed as positional or as key=value overrides, in their
// order: TEXT is free text, so "x = 1" must not become a config override.
std::vector<std::string> free_words(const jstip::cli::Args& args) {
  const auto& raw = jstip::cli::raw_arguments();
  std::vector<std::string> words;
  for (size_t i = 2; i < raw.size(); ++i) {  // raw[0] = jstip, raw[1] = tokenize
    const std::string& w = raw[i];
    if (w.rfind("--", 0) != 0) {
      words.push_back(w);
      continue;
    }
    const std::string name = w.substr(2);
    if (name.find('=') != std::string::npos) continue;
    auto it = args.options.find(name);
    if (it != args.options.end() && !it->second.empty() && i + 1 < raw.size() && raw[i + 1] == it->second) ++i;
  }
  return words;
}

std::string format_ids(const std::vector<int>& ids, bool json) {
  std::string out = json ? "[" : "";
  for (size_t i = 0; i < ids.size(); ++i) {
    if (i) out += json ? "," : " ";
    out += std::to_string(ids[i]);
  }
  if (json) out += "]";
  out += '\n';
  return out;
}

int run_tokenize(const jstip::cli::Args& args) {
  const std::vector<std::string> words = args.overrides.empty() ? args.positional : free_words(args);
  const bool from_file = args.options.count("file") > 0;
  const bool write_json = args.options.count("write-tokenizer-json") > 0;
  if (words.size() != (from_file || write_json ? 1u : 2u))
    throw std::invalid_argument(
        "usage: jstip tokenize MODEL TEXT [--json] | jstip tokenize MODEL --file FILE [--json] | "
        "jstip tokenize MODEL --write-tokenizer-json PATH");
  const auto tokenizer = jstip::data::load_tokenizer(words[0]);
  if (write_json) {
    const auto* bpe = dynamic_cast<const jstip::data::ByteLevelBpeTokenizer*>(tokenizer.get());
    if (!bpe) throw std::invalid_argument(words[0] + ": --write-tokenizer-json needs a byte-level BPE tokenizer");
    jstip::data::write_tokenizer_json(*bpe, args.get("write-tokenizer-json"));
    std::cout << "wrote " << args.get("write-tokenizer-json") << " (" << bpe->vocab_size() << " tokens, "
              << bpe->definition().merges.size() << " merges)\n";
    return 0;
  }
  const bool json = args.flag("json");
  if (!from_file) {
    const std::string out = format_ids(tokenizer->encode(words[1]), json);
    std::fwrite(out.data(), 1, out.size(), stdout);
    return 0;
  }
  const std::string path = args.get("file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open");
  std::string line, out;
  int64_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    try {
      out += format_ids(tokenizer->encode(line), json);
    } catch (const std::exception& e) {
      throw std::runtime_error(path + ":" + std::to_string(number) + ": " + e.what());
    }
    if (out.size() > (1 << 16)) std::fwrite(out.data(), 1, out.size(), stdout), out.clear();
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
  return std::fflush(stdout) == 0 ? 0 : 1;
}

}  // namespace

JSTIP_COMMAND("tokenize", "Print the token ids of a text (sentencepiece .model, tokenizer.json, HF folder or .gguf)",
              "jstip tokenize MODEL TEXT [--json]\n"
              "jstip tokenize MODEL --file FILE [--json]\n"
              "jstip tokenize MODEL --write-tokenizer-json PATH\n\n"
              "MODEL: a sentencepiece .model, a Hugging Face tokenizer.json or a folder holding\n"
              "one, or a .gguf file (its tokenizer.ggml.* keys). Prints the ids on one line,\n"
              "separated by spaces (--json: a JSON array); --file: one line of ids per line of\n"
              "FILE. Special tokens written in the text (\"<|im_start|>\") are matched whole;\n"
              "no BOS is added. The text must be valid UTF-8.\n"
              "--write-tokenizer-json: the byte-level BPE tokenizer of MODEL (e.g. a .gguf) as a\n"
              "Hugging Face tokenizer.json that tokenizes the same.",
              run_tokenize);
