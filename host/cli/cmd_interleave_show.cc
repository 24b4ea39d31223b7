// jstip interleave show CONFIG... --shard FILE [--samples N] [--seed S]
#include <iostream>

#include "host/cli/command.h"
#include "host/data/shard_file.h"
#include "host/data/tokenizer.h"
#include "host/graph/sample_builder.h"
#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/interleaver.h"

namespace {

int run_show(const jstip::cli::Args& args) {
  if (args.positional.empty() || !args.options.count("shard"))
    throw std::invalid_argument("usage: jstip interleave show CONFIG... --shard FILE [--samples N]");
  jstip::Config config = jstip::host::load_config(args.positional, args.overrides);
  jstip::host::ComposeOptions options;
  options.need_model = false;
  options.need_interleaver = true;
  auto composition = jstip::host::compose(config, options);

  std::string model = args.get("tokenizer", config.get_string("tokenizer.model", ""));
  if (model.empty()) throw std::invalid_argument("give --tokenizer MODEL or set tokenizer.model in the config");
  auto tokenizer = jstip::data::load_tokenizer(model);
  jstip::graph::SampleBuilder builder(tokenizer, jstip::graph::PromptDefinition::from_config(config));

  jstip::data::ShardReader reader(args.get("shard"));
  const int64_t samples = args.get_int("samples", 3);
  std::mt19937_64 rng(static_cast<uint64_t>(args.get_int("seed", config.get_int("seed", 0))));
  jstip::data::Utterance record;
  std::cout << "strategy " << composition.plugin_name("interleaver")
            << " (speech spans in [brackets]; * marks tokens that carry loss)\n";
  for (int64_t i = 0; i < samples && reader.next(&record); ++i) {
    jstip::PlanInput input = builder.build(record);
    jstip::Plan plan = jstip::host::call_plugin(composition.plugin_name("interleaver"),
                                                [&] { return composition.interleaver->plan(input, rng); });
    std::cout << record.id() << "  \"" << record.transcript() << "\"\n  " << jstip::render_plan(plan, input) << "\n";
  }
  return 0;
}

}  // namespace

JSTIP_COMMAND("interleave show", "Print the interleaving plans a strategy makes for records",
              "jstip interleave show CONFIG... --shard FILE [--tokenizer MODEL] [--samples N] [--seed S]\n\n"
              "Plans are printed one per line: <s>, prompt and markers by name, speech spans\n"
              "as [speech wA-B \"words\"], text words with * when they carry loss.",
              run_show);
