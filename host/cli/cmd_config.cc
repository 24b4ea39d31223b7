// jstip config check|dump FILE... [key=value ...]
#include <iostream>

#include "host/cli/command.h"
#include "host/data/feature_extractor.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "host/train/train_options.h"

namespace {

jstip::host::Composition resolve(const jstip::cli::Args& args, bool create_objects) {
  if (args.positional.empty()) throw std::invalid_argument("give at least one config file");
  jstip::Config config = jstip::host::load_config(args.positional, args.overrides);
  jstip::host::ComposeOptions options;
  options.need_model = config.has("encoder") || config.has("llm") || config.has("projector");
  options.need_interleaver = config.has("interleaver");
  options.create_objects = create_objects;
  return jstip::host::compose(config, options);
}

int run_check(const jstip::cli::Args& args) {
  // Building the objects checks dimensions between slots too.
  auto composition = resolve(args, true);
  if (composition.config.has("trainer")) jstip::train::parse_train_options(composition.config);
  jstip::data::features_options(composition.config);  // the `features` section's keys and values
  if (args.flag("dump-config")) std::cout << jstip::host::dump_yaml(composition.config.node());
  std::cout << "ok: ";
  for (const char* slot : {"encoder", "projector", "llm", "interleaver"})
    if (composition.config.has(slot)) std::cout << slot << "=" << composition.plugin_name(slot) << " ";
  std::cout << "\n";
  return 0;
}

int run_dump(const jstip::cli::Args& args) {
  auto composition = resolve(args, false);
  std::cout << jstip::host::dump_yaml(composition.config.node());
  return 0;
}

}  // namespace

JSTIP_COMMAND("config check", "Validate configs: merge, overrides, plugin options, slot dimensions",
              "jstip config check FILE... [key.path=value ...] [--dump-config]\n\n"
              "Files merge left to right (maps key by key, later wins; a slot whose `type`\n"
              "changes starts from the new plugin's defaults), then overrides apply in order.\n"
              "Errors name file:line and suggest the closest valid key.",
              run_check);
JSTIP_COMMAND("config dump", "Print the resolved config (defaults filled in)",
              "jstip config dump FILE... [key.path=value ...]", run_dump);
