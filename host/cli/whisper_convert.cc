#include "host/cli/whisper_convert.h"

#include <torch/torch.h>

#include <filesystem>

#include "jstip/json.h"
#include "jstip/safetensors.h"
#include "jstip/weights/tensor_source.h"
#include "jstip/weights/whisper_ct2.h"

namespace jstip::cli {
namespace {

namespace fs = std::filesystem;

// transformers' special-token ids of a Whisper tokenizer.json (added_tokens).
std::map<std::string, int64_t> special_ids(const fs::path& tokenizer_json) {
  std::map<std::string, int64_t> ids;
  if (!fs::exists(tokenizer_json)) return ids;
  const Json tokenizer = read_json_file(tokenizer_json.string());
  const Json* added = tokenizer.find("added_tokens");
  if (!added || !added->is_array()) return ids;
  for (const Json& token : added->items()) {
    const std::string content = token.get_string("content", "");
    const int64_t id = token.get_int("id", -1);
    if (content == "<|endoftext|>") {
      for (const char* key : {"bos_token_id", "eos_token_id", "pad_token_id"}) ids[key] = id;
    } else if (content == "<|startoftranscript|>") {
      ids["decoder_start_token_id"] = id;
    }
  }
  return ids;
}

}  // namespace

bool is_ctranslate2_folder(const std::string& source) {
  std::error_code ec;
  if (!fs::is_directory(source, ec) || !fs::exists(fs::path(source) / "model.bin", ec)) return false;
  return weights::open_tensor_source(source)->format() == "ctranslate2";  // as open_tensor_source reads the folder
}

std::string convert_whisper_ct2(const std::string& source, const std::string& out_arg) {
  fs::path out_path = fs::path(out_arg).lexically_normal();
  if (!out_path.has_filename()) out_path = out_path.parent_path();  // "dir/": the temp folder is its sibling
  const std::string out = out_path.string();
  const weights::WhisperCt2AsHf whisper(weights::open_tensor_source(source));
  safetensors::TensorMap tensors;
  for (const auto& entry : whisper.entries()) tensors[entry.name] = whisper.read(entry.name, torch::kFloat32);

  // Written into a sibling temp folder and renamed: a failed convert leaves no half folder.
  const fs::path temp = out + ".tmp";
  fs::remove_all(temp);
  fs::create_directories(temp);
  const fs::path tokenizer = fs::path(source) / "tokenizer.json";
  std::string wrote = "config.json, model.safetensors (" + std::to_string(tensors.size()) + " tensors, float32)";
  try {
    safetensors::save_file((temp / "model.safetensors").string(), tensors, {{"format", "pt"}});
    write_json_file((temp / "config.json").string(), weights::whisper_hf_config(whisper.sizes(), special_ids(tokenizer)));
    if (fs::exists(tokenizer)) {
      fs::copy_file(tokenizer, temp / "tokenizer.json");
      wrote += ", tokenizer.json";
    }
    fs::remove_all(out);
    fs::rename(temp, out);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(temp, ec);  // a failed convert leaves nothing behind
    throw;
  }
  return wrote;
}

}  // namespace jstip::cli
