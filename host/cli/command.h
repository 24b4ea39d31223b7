// The `jstip` command line: one small file per subcommand (as Marian's
// src/command/), each registering itself here.
//
//   static int run_list(const jstip::cli::Args& args) { ... }
//   JSTIP_COMMAND("plugins list", "List loadable plugins", "usage text", run_list);
#pragma once

#include <map>
#include <string>
#include <vector>

namespace jstip::cli {

// Parsed arguments after the subcommand words:
//   --name value | --name=value | --flag   -> options
//   a.b.c=value                            -> overrides (config keys)
//   anything else                          -> positional
struct Args {
  std::vector<std::string> positional;
  std::vector<std::string> overrides;
  std::map<std::string, std::string> options;

  bool flag(const std::string& name) const { return options.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  int64_t get_int(const std::string& name, int64_t fallback) const;
  double get_double(const std::string& name, double fallback) const;
};

using CommandFn = int (*)(const Args& args);

struct Command {
  std::string name;     // "plugins list"
  std::string summary;  // one line for `jstip --help`
  std::string usage;    // shown by `jstip <name> --help`
  CommandFn run;
};

std::vector<Command>& commands();  // all registered commands

// The process's own arguments (argv), for commands that re-launch themselves.
std::vector<std::string>& raw_arguments();

struct CommandRegistration {
  CommandRegistration(const char* name, const char* summary, const char* usage, CommandFn run);
};

}  // namespace jstip::cli

#define JSTIP_CMD_CONCAT_(a, b) a##b
#define JSTIP_CMD_CONCAT(a, b) JSTIP_CMD_CONCAT_(a, b)
#define JSTIP_COMMAND(NAME, SUMMARY, USAGE, FN) \
  static ::jstip::cli::CommandRegistration JSTIP_CMD_CONCAT(jstip_command_, __LINE__)(NAME, SUMMARY, USAGE, FN)
