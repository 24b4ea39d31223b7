// jstip tokenizer train TEXT|SHARD... --out PREFIX: a sentencepiece model.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "host/cli/command.h"
#include "host/data/shard_file.h"
#include "host/data/text_normalizer.h"
#include "host/data/tokenizer.h"

namespace {

using namespace jstip::data;
namespace fs = std::filesystem;

bool is_shard_input(const std::string& path) {
  return fs::is_directory(path) || fs::path(path).extension() == ".shard";
}

int run_train(const jstip::cli::Args& args) {
  if (args.positional.empty() || !args.options.count("out"))
    throw std::invalid_argument("usage: jstip tokenizer train TEXT|SHARD|DIR... --out PREFIX");
  TokenizerTrainOptions options;
  options.model_prefix = args.get("out");
  options.vocab_size = int(args.get_int("vocab-size", 1000));
  options.model_type = args.get("model-type", "bpe");
  options.hard_vocab_limit = !args.flag("force");
  const std::string symbols = args.get("symbols");
  for (size_t pos = 0; pos < symbols.size();) {
    size_t comma = symbols.find(',', pos);
    if (comma == std::string::npos) comma = symbols.size();
    if (comma > pos) options.user_defined_symbols.push_back(symbols.substr(pos, comma - pos));
    pos = comma + 1;
  }
  // Text files are normalized line by line (the one definition used for
  // targets); shard transcripts already are. All go into one temp file.
  const std::string corpus = options.model_prefix + ".corpus.tmp." + std::to_string(::getpid());
  int64_t lines = 0;
  {
    std::ofstream out(corpus);
    for (const auto& input : args.positional) {
      if (is_shard_input(input)) {
        for (const auto& path : expand_shard_paths({input})) {
          ShardReader reader(path);
          Utterance r;
          while (reader.next(&r))
            if (!r.transcript().empty()) out << r.transcript() << '\n', ++lines;
        }
      } else {
        std::ifstream in(input);
        if (!in) throw std::runtime_error(input + ": cannot open");
        for (std::string line; std::getline(in, line);) {
          const std::string text = normalize_text(line);
          if (!text.empty()) out << text << '\n', ++lines;
        }
      }
    }
  }
  options.inputs = {corpus};
  try {
    train_tokenizer(options);
  } catch (...) {
    std::remove(corpus.c_str());
    throw;
  }
  std::remove(corpus.c_str());
  const auto tokenizer = load_tokenizer(options.model_prefix + ".model");
  std::cout << "trained " << options.model_type << " tokenizer on " << lines << " lines: "
            << options.model_prefix << ".model (" << tokenizer->vocab_size() << " pieces)\n";
  return 0;
}

}  // namespace

JSTIP_COMMAND("tokenizer train", "Train a sentencepiece tokenizer (BPE or unigram) from text or shards",
              "jstip tokenizer train TEXT|SHARD|DIR... --out PREFIX [--vocab-size 1000]\n"
              "                      [--model-type bpe|unigram] [--symbols '<speech>,<text>'] [--force]\n\n"
              "Text lines are normalized as training targets are; shards give their transcripts.\n"
              "--force lets a small corpus end with fewer pieces than --vocab-size.",
              run_train);
