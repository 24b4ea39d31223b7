// jstip: one binary, many subcommands (`jstip --help` lists them).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <iostream>

#include "host/cli/command.h"
#include "host/runtime/startup.h"

namespace {

using jstip::cli::Args;
using jstip::cli::Command;

// Options that take no value; everything else written `--name` takes the next word.
bool is_flag(const std::string& name) {
  static const char* flags[] = {"help", "dump-config", "json", "quiet", "full", "skip-bad", "overwrite",
                                "force", "no-progress", "measure", "reuse", "timing", "chat", "ids", "pad-30s"};
  return std::any_of(std::begin(flags), std::end(flags), [&](const char* f) { return name == f; });
}

Args parse_args(const std::vector<std::string>& words) {
  Args args;
  for (size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word.rfind("--", 0) == 0) {
      std::string name = word.substr(2);
      auto eq = name.find('=');
      if (eq != std::string::npos) {
        args.options[name.substr(0, eq)] = name.substr(eq + 1);
      } else if (is_flag(name) || i + 1 == words.size()) {
        args.options[name] = "";
      } else {
        args.options[name] = words[++i];
      }
    } else if (word.find('=') != std::string::npos && word.substr(0, word.find('=')).find('/') == std::string::npos) {
      args.overrides.push_back(word);  // a.b.c=value; the value may be a path (output_dir=runs/x)
    } else {
      args.positional.push_back(word);
    }
  }
  return args;
}

void print_overview() {
  std::cout << "jstip: speech-LLM toolkit with joint speech-text interleaved pretraining\n\n"
               "usage: jstip <command> [options] [key.path=value ...]\n\n"
               "commands:\n";
  auto commands = jstip::cli::commands();
  std::sort(commands.begin(), commands.end(), [](const Command& a, const Command& b) { return a.name < b.name; });
  for (const auto& c : commands) std::printf("  %-22s %s\n", c.name.c_str(), c.summary.c_str());
  std::cout << "\ncommon options: --log-level trace|debug|info|warn|error (default info), --threads N,\n"
               "                --help on any command\n";
}

}  // namespace

int main(int argc, char** argv) {
  jstip::cli::raw_arguments().assign(argv, argv + argc);
  std::vector<std::string> words(argv + 1, argv + argc);
  if (words.empty() || words[0] == "--help" || words[0] == "-h" || words[0] == "help") {
    print_overview();
    return words.empty() ? 1 : 0;
  }
  // The longest registered name that prefixes the words: "plugins list" before "plugins".
  const Command* command = nullptr;
  size_t used = 0;
  for (const auto& c : jstip::cli::commands()) {
    std::vector<std::string> parts;
    for (size_t pos = 0, next; pos <= c.name.size(); pos = next + 1) {
      next = c.name.find(' ', pos);
      if (next == std::string::npos) next = c.name.size();
      parts.push_back(c.name.substr(pos, next - pos));
    }
    if (parts.size() <= words.size() && std::equal(parts.begin(), parts.end(), words.begin()) && parts.size() > used) {
      command = &c;
      used = parts.size();
    }
  }
  if (!command) {
    std::cerr << "jstip: unknown command '" << words[0] << (words.size() > 1 ? " " + words[1] : "")
              << "'; run `jstip --help` for the list\n";
    return 2;
  }
  Args args = parse_args({words.begin() + used, words.end()});
  if (args.flag("help")) {
    std::cout << "jstip " << command->name << ": " << command->summary << "\n\n" << command->usage << "\n";
    return 0;
  }
  try {
    jstip::host::init_logging(args.get("log-level", "info"));
    jstip::host::init_threads(static_cast<int>(args.get_int("threads", 0)));
    jstip::host::tune_allocator();
    jstip::host::warn_if_slow_blas();
    return command->run(args);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
}
