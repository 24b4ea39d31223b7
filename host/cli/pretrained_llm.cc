#include "host/cli/pretrained_llm.h"

#include <filesystem>

#include "host/runtime/composition.h"
#include "host/runtime/config_loader.h"
#include "jstip/json.h"
#include "jstip/llm.h"
#include "jstip/weights/gguf.h"

namespace jstip::cli {
namespace {

namespace fs = std::filesystem;

// The plugin that reads MODEL: the GGUF architecture or config.json's model_type.
std::string plugin_for(const std::string& model) {
  if (fs::is_directory(model)) {
    const std::string type = read_json_file((fs::path(model) / "config.json").string()).get_string("model_type", "");
    return type == "gpt2" ? "gpt2" : "llama";
  }
  const std::string arch = gguf::GgufFile(model).get_string("general.architecture");
  if (arch == "gpt2") return "gpt2";
  return "llama";  // llama.cpp's llama and qwen2; the plugin refuses the rest by name
}

}  // namespace

std::shared_ptr<LanguageModel> load_pretrained_llm(const std::string& model) {
  const std::string plugin = plugin_for(model);
  Config config = host::load_config({}, {"llm.type=" + plugin, "llm.pretrained=" + model});
  auto registry = host::registry_for(config);
  auto llm = registry->create_as<LanguageModel>(plugin, "llm", config.child("llm"));
  llm->eval();
  return llm;
}

}  // namespace jstip::cli
