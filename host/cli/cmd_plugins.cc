// jstip plugins list | describe NAME
#include <cstdio>
#include <iostream>

#include "host/cli/command.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/options.h"

namespace {

std::shared_ptr<jstip::host::PluginRegistry> registry_from(const jstip::cli::Args& args) {
  // Only a `--config` file matters here, for its plugin_paths.
  jstip::Config config = jstip::host::load_config(args.options.count("config") ? std::vector<std::string>{args.get("config")}
                                                                              : std::vector<std::string>{},
                                                  args.overrides);
  return jstip::host::registry_for(config);
}

int run_list(const jstip::cli::Args& args) {
  auto registry = registry_from(args);
  std::printf("%-14s %-12s %-8s %s\n", "NAME", "KIND", "VERSION", "PATH");
  for (const auto& p : registry->plugins())
    std::printf("%-14s %-12s %-8s %s\n", p.name.c_str(), p.kind.c_str(), p.version.c_str(), p.path.c_str());
  for (const auto& r : registry->refused()) std::printf("REFUSED %s: %s\n", r.path.c_str(), r.reason.c_str());
  if (registry->plugins().empty()) {
    std::fprintf(stderr, "no plugins found; searched:");
    for (const auto& f : jstip::host::PluginRegistry::default_folders()) std::fprintf(stderr, " %s", f.c_str());
    std::fprintf(stderr, " (add folders with JSTIP_PLUGIN_PATH)\n");
    return 1;
  }
  return 0;
}

int run_describe(const jstip::cli::Args& args) {
  if (args.positional.empty()) throw std::invalid_argument("usage: jstip plugins describe NAME");
  auto registry = registry_from({});
  const auto& p = registry->find(args.positional[0]);
  std::cout << p.name << " (" << p.kind << " " << p.version << ")\n  " << p.summary << "\n  from " << p.path
            << "\n\noptions:\n";
  for (const auto& o : p.options)
    std::printf("  %-24s %-12s %-14s %s\n", o.name.c_str(), jstip::option_type_name(o.type),
                o.required ? "(required)" : ("= " + o.default_value).c_str(), o.doc.c_str());
  return 0;
}

}  // namespace

JSTIP_COMMAND("plugins list", "List loadable plugins (name, kind, version, path) and refused libraries",
              "jstip plugins list [--config FILE]\n\n"
              "Scans the build's plugin folder, JSTIP_PLUGIN_PATH (colon separated) and the\n"
              "config's plugin_paths. Libraries whose descriptor does not match this build are\n"
              "listed as REFUSED with the field that differs.",
              run_list);
JSTIP_COMMAND("plugins describe", "Show a plugin's options (name, type, default, doc)",
              "jstip plugins describe NAME", run_describe);
