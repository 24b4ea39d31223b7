// Fuzz target: the YAML config loader (host/runtime/config_loader.cc) and
// option validation (option_schema.cc), as a command uses them.
//
// Input: up to three parts split by a line "#@" (a YAML comment, so a plain
// config is a valid input): config.yaml, base.yaml (config.yaml may say
// `base: base.yaml`), then one `key.path=value` override per line.
// Properties: the only exception is ConfigError naming the file or the
// override; the resolved config dumps to YAML that loads back to the same
// dump (checkpoints store the config this way).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "fuzz/fuzz_util.h"
#include "host/runtime/config_loader.h"
#include "host/runtime/option_schema.h"
#include "jstip/options.h"

using namespace jstip;
using namespace jstip::host;

namespace {

// One option of every type, named like real encoder options so that the
// configs in the seed corpus get past the first key.
PluginInfo schema() {
  PluginInfo p;
  p.name = "fuzz";
  p.kind = "encoder";
  p.options = {{"input_dim", JSTIP_OPT_INT, false, "80", ""},
               {"d_model", JSTIP_OPT_INT, true, "", "required"},
               {"num_layers", JSTIP_OPT_INT, false, "2", ""},
               {"num_heads", JSTIP_OPT_INT, false, "4", ""},
               {"ffn_dim", JSTIP_OPT_INT, false, "128", ""},
               {"dropout", JSTIP_OPT_FLOAT, false, "0.1", ""},
               {"causal", JSTIP_OPT_BOOL, false, "false", ""},
               {"name", JSTIP_OPT_STRING, false, "''", ""},
               {"kernel_sizes", JSTIP_OPT_INT_LIST, false, "[3, 5]", ""},
               {"scales", JSTIP_OPT_FLOAT_LIST, false, "[]", ""},
               {"tags", JSTIP_OPT_STRING_LIST, false, "[a, b]", ""},
               {"extra", JSTIP_OPT_MAP, false, "{}", ""}};
  return p;
}

const std::string& temp_dir() {
  static const std::string dir = [] {
    static char name[] = "/tmp/jstip-fuzz-config-XXXXXX";  // static: still there at exit
    if (!::mkdtemp(name)) std::abort();
    std::atexit([] { std::filesystem::remove_all(name); });
    return std::string(name);
  }();
  return dir;
}

std::vector<std::string> split_parts(const std::string& text) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (parts.size() < 2) {
    size_t at = text.find("\n#@\n", start);
    if (at == std::string::npos) break;
    parts.push_back(text.substr(start, at - start));
    start = at + 4;
  }
  parts.push_back(text.substr(start));
  return parts;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

// Every getter on every key, as plugins read their options.
void read_everything(const Config& config) {
  for (const std::string& key : config.keys()) {
    try { config.get_int(key); } catch (const ConfigError&) {}
    try { config.get_double(key); } catch (const ConfigError&) {}
    try { config.get_bool(key); } catch (const ConfigError&) {}
    try { config.get_string_list(key); } catch (const ConfigError&) {}
    try { read_everything(config.child(key)); } catch (const ConfigError&) {}
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const jstip::fuzz::NoFdLeak no_fd_leak;
  const std::vector<std::string> parts = split_parts(std::string(reinterpret_cast<const char*>(data), size));
  const std::string config_path = temp_dir() + "/config.yaml", base_path = temp_dir() + "/base.yaml";
  write_file(config_path, parts[0]);
  if (parts.size() > 1) write_file(base_path, parts[1]);
  else ::unlink(base_path.c_str());
  std::vector<std::string> overrides;
  if (parts.size() > 2) {
    std::istringstream lines(parts[2]);
    for (std::string line; std::getline(lines, line);) overrides.push_back(line);
  }
  Config config;
  try {
    config = load_config({config_path}, overrides);
    read_everything(config);
    if (config.has("encoder")) validate_options(schema(), config.child("encoder"));
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    if (what.find(temp_dir()) == std::string::npos && what.rfind("override '", 0) != 0)
      jstip::fuzz::finding("error names neither the file nor the override: " + what);
    return 0;
  }
  const std::string dumped = dump_yaml(config.node());
  std::string again;
  try {
    again = dump_yaml(parse_yaml(dumped, "dumped.yaml"));
  } catch (const ConfigError& e) {
    jstip::fuzz::finding("the dump of a loaded config does not load: " + std::string(e.what()) + "\n" + dumped);
  }
  if (again != dumped) jstip::fuzz::finding("dump/load/dump changes the config:\n" + dumped + "---\n" + again);
  return 0;
}
