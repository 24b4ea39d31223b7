// The LLM plugin object for a pretrained model named on the command line
// (`jstip llm ...`, `jstip convert`): a .gguf file or a Hugging Face folder,
// read by the plugin its architecture names, in eval mode.
#pragma once

#include <memory>
#include <string>

namespace jstip {
class LanguageModel;
}

namespace jstip::cli {

std::shared_ptr<LanguageModel> load_pretrained_llm(const std::string& model);

}  // namespace jstip::cli
