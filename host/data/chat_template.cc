#include "host/data/chat_template.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "jstip/json.h"
#include "jstip/weights/gguf.h"

namespace jstip::data {

ChatTemplate ChatTemplate::parse(const std::string& text, const std::string& origin) {
  if (text.find("<|im_start|>") == std::string::npos || text.find("<|im_end|>") == std::string::npos)
    throw std::runtime_error(origin + ": the chat template is not ChatML (<|im_start|> ... <|im_end|>), the only "
                             "format jstip renders");
  ChatTemplate t;
  t.format = "chatml";
  // The default system turn is a literal in the template: '<|im_start|>system\n...<|im_end|>'.
  const std::string open = "<|im_start|>system\n";
  const size_t at = text.find(open);
  if (at != std::string::npos) {
    const size_t end = text.find("<|im_end|>", at);
    if (end != std::string::npos) t.default_system = text.substr(at + open.size(), end - at - open.size());
  }
  return t;
}

std::string ChatTemplate::prefix() const {
  std::string out;
  if (!default_system.empty()) out += "<|im_start|>system\n" + default_system + "<|im_end|>\n";
  return out + "<|im_start|>user\n";
}

std::string ChatTemplate::suffix() const { return "<|im_end|>\n<|im_start|>assistant\n"; }

std::string ChatTemplate::user_turn(const std::string& content) const { return prefix() + content + suffix(); }

ChatTemplate load_chat_template(const std::string& path) {
  namespace fs = std::filesystem;
  if (fs::is_directory(path)) {
    const std::string config = (fs::path(path) / "tokenizer_config.json").string();
    if (!fs::exists(config)) throw std::runtime_error(path + ": no tokenizer_config.json with a chat_template");
    Json j = read_json_file(config);
    const Json* t = j.find("chat_template");
    if (!t || !t->is_string()) throw std::runtime_error(config + ": no string 'chat_template'");
    return ChatTemplate::parse(t->as_string(), config);
  }
  const gguf::GgufFile file(path);
  if (!file.has("tokenizer.chat_template")) throw std::runtime_error(path + ": no tokenizer.chat_template key");
  return ChatTemplate::parse(file.get_string("tokenizer.chat_template"), path);
}

}  // namespace jstip::data
