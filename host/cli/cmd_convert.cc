// jstip convert SRC --out DIR: a pretrained model as a Hugging Face folder
// that transformers loads. A llama-family .gguf: config.json and
// model.safetensors (float32, Q/K rows in the HF layout), tokenizer.json,
// tokenizer_config.json (with the chat template), generation_config.json.
// A CTranslate2 Whisper folder (model.bin): host/cli/whisper_convert.h.
#include <filesystem>
#include <iostream>

#include "host/cli/command.h"
#include "host/cli/pretrained_llm.h"
#include "host/cli/whisper_convert.h"
#include "host/data/byte_bpe_tokenizer.h"
#include "host/data/tokenizer.h"
#include "jstip/json.h"
#include "jstip/llm.h"
#include "jstip/weights/gguf.h"

namespace {

namespace fs = std::filesystem;

int run_convert(const jstip::cli::Args& args) {
  if (args.positional.size() != 1 || !args.options.count("out"))
    throw std::invalid_argument("usage: jstip convert SRC.gguf|CT2_WHISPER_DIR --out DIR");
  const std::string source = args.positional[0], out = args.get("out");
  if (jstip::cli::is_ctranslate2_folder(source)) {
    std::cout << "wrote " << out << " (" << jstip::cli::convert_whisper_ct2(source, out) << ")\n";
    return 0;
  }
  const jstip::gguf::GgufFile file(source);
  const std::string arch = file.get_string("general.architecture");
  if (arch != "llama" && arch != "qwen2")
    throw std::invalid_argument(source + ": general.architecture '" + arch + "' cannot be converted (llama, qwen2)");

  auto llm = jstip::cli::load_pretrained_llm(source);

  // Written into a sibling temp folder and renamed: a failed convert leaves no half folder.
  const fs::path temp = fs::path(out).string() + ".tmp";
  fs::remove_all(temp);
  fs::create_directories(temp);
  llm->save_pretrained(temp.string());

  auto tokenizer = jstip::data::load_tokenizer(source);
  const auto* bpe = dynamic_cast<const jstip::data::ByteLevelBpeTokenizer*>(tokenizer.get());
  if (!bpe) throw std::invalid_argument(source + ": its tokenizer is not byte-level BPE");
  jstip::data::write_tokenizer_json(*bpe, (temp / "tokenizer.json").string());

  auto piece = [&](int id) { return id >= 0 ? jstip::Json::string(tokenizer->pieces({id})[0]) : jstip::Json(); };
  jstip::Json tc = jstip::Json::object();
  tc.set("tokenizer_class", jstip::Json::string("PreTrainedTokenizerFast"));
  tc.set("bos_token", piece(tokenizer->bos_id()));
  tc.set("eos_token", piece(tokenizer->eos_id()));
  tc.set("pad_token", piece(tokenizer->pad_id()));
  tc.set("add_bos_token", jstip::Json::boolean(file.get_bool("tokenizer.ggml.add_bos_token", false)));
  tc.set("clean_up_tokenization_spaces", jstip::Json::boolean(false));
  tc.set("model_max_length", jstip::Json::integer(file.get_int(arch + ".context_length", 8192)));
  if (file.has("tokenizer.chat_template"))
    tc.set("chat_template", jstip::Json::string(file.get_string("tokenizer.chat_template")));
  jstip::write_json_file((temp / "tokenizer_config.json").string(), tc);

  jstip::Json gen = jstip::Json::object();
  if (tokenizer->bos_id() >= 0) gen.set("bos_token_id", jstip::Json::integer(tokenizer->bos_id()));
  gen.set("eos_token_id", jstip::Json::integer(tokenizer->eos_id()));
  if (tokenizer->pad_id() >= 0) gen.set("pad_token_id", jstip::Json::integer(tokenizer->pad_id()));
  jstip::write_json_file((temp / "generation_config.json").string(), gen);

  fs::remove_all(out);
  fs::rename(temp, out);
  std::cout << "wrote " << out << " (config.json, model.safetensors, tokenizer.json, tokenizer_config.json, "
            << "generation_config.json)\n";
  return 0;
}

}  // namespace

JSTIP_COMMAND("convert", "Write a pretrained LLM (.gguf) or Whisper (CTranslate2 folder) as a Hugging Face folder",
              "jstip convert SRC.gguf|CT2_WHISPER_DIR --out DIR\n\n"
              "SRC.gguf: writes config.json, model.safetensors (float32; quantized tensors dequantized,\n"
              "Q/K rows un-permuted to the Hugging Face layout), tokenizer.json,\n"
              "tokenizer_config.json (with the file's chat template) and generation_config.json.\n"
              "transformers' LlamaForCausalLM and AutoTokenizer load the folder.\n"
              "CT2_WHISPER_DIR (model.bin, e.g. models/whisper-tiny.en): writes config.json,\n"
              "model.safetensors (float32; fused q/k/v split) and tokenizer.json; transformers'\n"
              "WhisperModel and WhisperForConditionalGeneration load the folder.",
              run_convert);
