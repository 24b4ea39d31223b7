#include "host/train/tokenizer_copy.h"

#include <unistd.h>

#include <filesystem>
#include <stdexcept>

#include "host/data/byte_bpe_tokenizer.h"
#include "host/data/tokenizer.h"
#include "host/train/pretrained_record.h"
#include "jstip/weights/gguf.h"

namespace fs = std::filesystem;

namespace jstip::train {
namespace {

bool same_definition(const data::ByteBpeDefinition& a, const data::ByteBpeDefinition& b) {
  if (a.pieces != b.pieces || a.merges != b.merges || a.pre_tokenizer != b.pre_tokenizer ||
      a.ignore_merges != b.ignore_merges || a.bos != b.bos || a.eos != b.eos || a.pad != b.pad ||
      a.add_bos != b.add_bos || a.added.size() != b.added.size())
    return false;
  for (size_t i = 0; i < a.added.size(); ++i)
    if (a.added[i].id != b.added[i].id || a.added[i].content != b.added[i].content ||
        a.added[i].special != b.added[i].special || a.added[i].normalized != b.added[i].normalized)
      return false;
  return true;
}

// A .gguf's tokenizer as tokenizer.json + tokenizer_config.json in `folder`
// (as `jstip convert` writes them); false when reading them back gives another tokenizer.
bool write_gguf_tokenizer(const std::string& gguf_path, const fs::path& folder) {
  const auto original = data::ByteLevelBpeTokenizer::from_gguf(gguf_path);
  data::write_tokenizer_json(*original, (folder / "tokenizer.json").string());
  const data::ByteBpeDefinition& d = original->definition();
  auto piece = [&](int id) { return id >= 0 ? Json::string(d.pieces[size_t(id)]) : Json(); };
  Json config = Json::object();
  config.set("tokenizer_class", Json::string("PreTrainedTokenizerFast"));
  config.set("bos_token", piece(d.bos));
  config.set("eos_token", piece(d.eos));
  config.set("pad_token", piece(d.pad));
  config.set("add_bos_token", Json::boolean(d.add_bos));
  config.set("clean_up_tokenization_spaces", Json::boolean(false));
  const gguf::GgufFile file(gguf_path);
  if (file.has("tokenizer.chat_template"))
    config.set("chat_template", Json::string(file.get_string("tokenizer.chat_template")));
  write_json_file((folder / "tokenizer_config.json").string(), config);
  const auto reread = data::ByteLevelBpeTokenizer::from_tokenizer_json((folder / "tokenizer.json").string());
  return same_definition(d, reread->definition());
}

std::string chat_template_text(const std::string& source) {
  if (fs::is_directory(source)) {
    const std::string config = (fs::path(source) / "tokenizer_config.json").string();
    const Json j = read_json_file(config);
    const Json* text = j.find("chat_template");
    if (!text || !text->is_string()) throw std::runtime_error(config + ": no string 'chat_template'");
    return text->as_string();
  }
  const gguf::GgufFile file(source);
  if (!file.has("tokenizer.chat_template")) throw std::runtime_error(source + ": no tokenizer.chat_template key");
  return file.get_string("tokenizer.chat_template");
}

// Fills a sibling temp folder with `write`, then puts it in place of `folder`.
template <typename Write>
void replace_folder(const fs::path& folder, Write write) {
  const fs::path tmp = folder.string() + ".tmp-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    write(tmp);
    fs::remove_all(folder);
    fs::rename(tmp, folder);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace

TokenizerCopy copy_tokenizer(const std::string& tokenizer_path, const std::string& folder) {
  TokenizerCopy copy;
  copy.source = fs::absolute(tokenizer_path).lexically_normal().string();
  const std::vector<std::string> files = data::tokenizer_definition_files(tokenizer_path);
  const bool gguf = fs::path(files[0]).extension() == ".gguf";
  try {
    replace_folder(folder, [&](const fs::path& tmp) {
      copy.converted = gguf && write_gguf_tokenizer(tokenizer_path, tmp);
      if (copy.converted) return;
      for (const auto& written : fs::directory_iterator(tmp)) fs::remove(written.path());  // a conversion that differed
      for (const std::string& file : files) fs::copy_file(file, tmp / fs::path(file).filename());
    });
  } catch (const std::exception& e) {
    throw std::runtime_error("copying the tokenizer " + tokenizer_path + " into " + folder + ": " + e.what());
  }
  copy.file = copy.converted ? "tokenizer.json" : fs::path(files[0]).filename().string();
  const std::string copied = (fs::path(folder) / copy.file).string();
  copy.fingerprint = data::fingerprint_tokenizer(*data::load_tokenizer(copied));
  return copy;
}

void copy_chat_template(const std::string& source, const std::string& folder) {
  Json config = Json::object();
  config.set("chat_template", Json::string(chat_template_text(source)));
  replace_folder(folder,
                 [&](const fs::path& tmp) { write_json_file((tmp / "tokenizer_config.json").string(), config); });
}

Json to_json(const TokenizerCopy& copy) {
  Json j = Json::object();
  j.set("file", Json::string(copy.file));
  j.set("source", Json::string(copy.source));
  j.set("converted", Json::boolean(copy.converted));
  j.set("crc32c", Json::string(crc32c_hex(copy.fingerprint.crc32c)));
  j.set("pieces", Json::integer(copy.fingerprint.pieces));
  return j;
}

TokenizerCopy tokenizer_copy_from_json(const Json& json, const std::string& origin) {
  auto bad = [&](const std::string& field, const std::string& expected) {
    throw std::runtime_error(origin + ": tokenizer." + field + ": expected " + expected);
  };
  TokenizerCopy copy;
  const Json* file = json.find("file");
  const Json* crc = json.find("crc32c");
  const Json* pieces = json.find("pieces");
  if (!file || !file->is_string() || file->as_string().empty() ||
      fs::path(file->as_string()).filename().string() != file->as_string())
    bad("file", "a file name inside the checkpoint's tokenizer/ folder");
  if (!crc || !crc->is_string() || crc->as_string().size() != 8 ||
      crc->as_string().find_first_not_of("0123456789abcdef") != std::string::npos)
    bad("crc32c", "8 lowercase hex digits");
  if (!pieces || !pieces->is_integer() || pieces->as_int() <= 0) bad("pieces", "a positive count");
  copy.file = file->as_string();
  copy.source = json.get_string("source", "");
  copy.converted = json.get_bool("converted", false);
  copy.fingerprint.crc32c = static_cast<uint32_t>(std::stoul(crc->as_string(), nullptr, 16));
  copy.fingerprint.pieces = pieces->as_int();
  return copy;
}

}  // namespace jstip::train
