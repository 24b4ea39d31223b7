// The LLM's own chat format, read from its file (a GGUF's tokenizer.chat_template
// or tokenizer_config.json's chat_template). Jinja is not evaluated: the
// template is recognized by its markers and rendered by the code below, which
// tests compare with transformers' apply_chat_template. Today: ChatML
// (<|im_start|>role\ncontent<|im_end|>\n), with the default system turn the
// template inserts when the conversation has none (SmolLM2-Instruct has one).
#pragma once

#include <string>

namespace jstip::data {

struct ChatTemplate {
  std::string format;          // "chatml"
  std::string default_system;  // inserted before a first non-system turn ("" = none)

  // Recognizes a template's text; throws naming `origin` when it is no known format.
  static ChatTemplate parse(const std::string& template_text, const std::string& origin);
  // One user turn and the generation prompt (add_generation_prompt=True).
  std::string user_turn(const std::string& content) const;
  // Where user content starts and what follows it up to the assistant's answer:
  // user_turn(x) == prefix() + x + suffix().
  std::string prefix() const;
  std::string suffix() const;
  std::string end_of_turn() const { return "<|im_end|>"; }
};

// The chat template stored in a .gguf file or a Hugging Face folder
// (tokenizer_config.json); throws when it has none.
ChatTemplate load_chat_template(const std::string& model_path);

}  // namespace jstip::data
