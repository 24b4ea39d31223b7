// ByteLevelBpeTokenizer from and to Hugging Face tokenizer.json.
#include <filesystem>
#include <stdexcept>

#include "host/data/byte_bpe_tokenizer.h"
#include "jstip/json.h"

namespace jstip::data {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void refuse(const std::string& file, const std::string& key, const std::string& what) {
  throw std::runtime_error(file + ": " + key + ": " + what);
}

std::string type_of(const Json& j, const std::string& file, const std::string& key) {
  if (!j.is_object()) refuse(file, key, "expected an object");
  const Json* type = j.find("type");
  if (!type || !type->is_string()) refuse(file, key + ".type", "expected a string");
  return type->as_string();
}

// ByteLevel as a pre-tokenizer: only the GPT-2 regex split without a prefix space.
void check_byte_level(const Json& j, const std::string& file, const std::string& key) {
  if (j.get_bool("add_prefix_space", true))
    refuse(file, key + ".add_prefix_space", "true is not supported (the text would gain a leading space)");
  if (!j.get_bool("use_regex", true)) refuse(file, key + ".use_regex", "false is not supported");
}

PreTokenizerKind read_pre_tokenizer(const Json* j, const std::string& file) {
  const std::string key = "pre_tokenizer";
  if (!j || j->is_null()) refuse(file, key, "null is not supported (expected ByteLevel)");
  const std::string type = type_of(*j, file, key);
  if (type == "ByteLevel") {
    check_byte_level(*j, file, key);
    return PreTokenizerKind::Gpt2;
  }
  if (type == "Sequence") {
    const Json* list = j->find("pretokenizers");
    if (!list || !list->is_array()) refuse(file, key + ".pretokenizers", "expected an array");
    const auto& items = list->items();
    if (items.size() == 2 && type_of(items[0], file, key + ".pretokenizers[0]") == "Digits" &&
        type_of(items[1], file, key + ".pretokenizers[1]") == "ByteLevel") {
      if (!items[0].get_bool("individual_digits", false))
        refuse(file, key + ".pretokenizers[0].individual_digits", "only true is supported");
      check_byte_level(items[1], file, key + ".pretokenizers[1]");
      return PreTokenizerKind::Smollm;
    }
    if (items.size() == 1 && type_of(items[0], file, key + ".pretokenizers[0]") == "ByteLevel") {
      check_byte_level(items[0], file, key + ".pretokenizers[0]");
      return PreTokenizerKind::Gpt2;
    }
    refuse(file, key, "a Sequence other than [Digits(individual_digits), ByteLevel] or [ByteLevel] is not supported");
  }
  refuse(file, key + ".type", "'" + type + "' is not supported (expected ByteLevel or Sequence)");
}

std::pair<std::string, std::string> read_merge(const Json& m, const std::string& file, size_t index) {
  const std::string key = "model.merges[" + std::to_string(index) + "]";
  if (m.is_string()) {  // "left right"
    const std::string& s = m.as_string();
    const size_t space = s.find(' ');
    if (space == std::string::npos || space == 0 || space + 1 == s.size() || s.find(' ', space + 1) != std::string::npos)
      refuse(file, key, "expected \"left right\", got '" + s + "'");
    return {s.substr(0, space), s.substr(space + 1)};
  }
  if (m.is_array() && m.items().size() == 2 && m.items()[0].is_string() && m.items()[1].is_string())
    return {m.items()[0].as_string(), m.items()[1].as_string()};
  refuse(file, key, "expected \"left right\" or [left, right]");
}

// tokenizer_config.json gives a token as "text" or {"content": "text", ...}.
int config_token(const Json& config, const std::string& key, const std::vector<std::string>& pieces,
                 const std::string& file) {
  const Json* j = config.find(key);
  if (!j || j->is_null()) return -1;
  const Json* text = j->is_object() ? j->find("content") : j;
  if (!text || !text->is_string()) refuse(file, key, "expected a string or {\"content\": string}");
  for (size_t id = 0; id < pieces.size(); ++id)
    if (pieces[id] == text->as_string()) return int(id);
  refuse(file, key, "'" + text->as_string() + "' is not a token of the tokenizer");
}

}  // namespace

std::shared_ptr<const ByteLevelBpeTokenizer> ByteLevelBpeTokenizer::from_tokenizer_json(const std::string& path) {
  const std::string file = fs::is_directory(path) ? (fs::path(path) / "tokenizer.json").string() : path;
  const Json root = read_json_file(file);
  if (!root.is_object()) refuse(file, "(top level)", "expected an object");
  ByteBpeDefinition d;
  d.source = file;
  d.files = tokenizer_definition_files(file);

  const Json* model = root.find("model");
  if (!model || type_of(*model, file, "model") != "BPE")
    refuse(file, "model.type", "only BPE is supported");
  if (const Json* v = model->find("dropout"); v && !v->is_null()) refuse(file, "model.dropout", "only null is supported");
  for (const char* key : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (const Json* v = model->find(key); v && !v->is_null() && !(v->is_string() && v->as_string().empty()))
      refuse(file, std::string("model.") + key, "only null or \"\" is supported");
  if (model->get_bool("byte_fallback", false)) refuse(file, "model.byte_fallback", "true is not supported");
  d.ignore_merges = model->get_bool("ignore_merges", false);

  const Json* vocab = model->find("vocab");
  if (!vocab || !vocab->is_object()) refuse(file, "model.vocab", "expected an object of piece: id");
  const Json* added = root.find("added_tokens");
  if (added && !added->is_null() && !added->is_array()) refuse(file, "added_tokens", "expected an array");
  // The vocabulary is model.vocab plus the added tokens (which may add ids).
  auto place = [&](const std::string& piece, int64_t id, const std::string& key) {
    if (id < 0 || id > 10'000'000) refuse(file, key, "id " + std::to_string(id) + " is out of range");
    if (size_t(id) >= d.pieces.size()) d.pieces.resize(size_t(id) + 1, std::string());
    if (!d.pieces[id].empty() && d.pieces[id] != piece)
      refuse(file, key, "id " + std::to_string(id) + " is both '" + d.pieces[id] + "' and '" + piece + "'");
    d.pieces[id] = piece;
  };
  for (const auto& [piece, id] : vocab->fields()) {
    if (!id.is_integer()) refuse(file, "model.vocab['" + piece + "']", "expected an integer id");
    if (piece.empty()) refuse(file, "model.vocab", "holds an empty piece");
    place(piece, id.as_int(), "model.vocab['" + piece + "']");
  }
  if (added && added->is_array()) {
    for (size_t i = 0; i < added->items().size(); ++i) {
      const Json& t = added->items()[i];
      const std::string key = "added_tokens[" + std::to_string(i) + "]";
      if (!t.is_object()) refuse(file, key, "expected an object");
      const Json* id = t.find("id");
      const Json* content = t.find("content");
      if (!id || !id->is_integer()) refuse(file, key + ".id", "expected an integer");
      if (!content || !content->is_string() || content->as_string().empty())
        refuse(file, key + ".content", "expected a non-empty string");
      for (const char* flag : {"lstrip", "rstrip", "single_word"})
        if (t.get_bool(flag, false)) refuse(file, key + "." + flag, "true is not supported");
      place(content->as_string(), id->as_int(), key);
      d.added.push_back({int(id->as_int()), content->as_string(), t.get_bool("special", false),
                         t.get_bool("normalized", !t.get_bool("special", false))});
    }
  }
  for (size_t id = 0; id < d.pieces.size(); ++id)
    if (d.pieces[id].empty()) refuse(file, "model.vocab", "no piece has id " + std::to_string(id) + " (ids must be dense)");

  const Json* merges = model->find("merges");
  if (!merges || !merges->is_array()) refuse(file, "model.merges", "expected an array");
  d.merges.reserve(merges->items().size());
  for (size_t i = 0; i < merges->items().size(); ++i) d.merges.push_back(read_merge(merges->items()[i], file, i));

  if (const Json* n = root.find("normalizer"); n && !n->is_null())
    refuse(file, "normalizer", "'" + type_of(*n, file, "normalizer") + "' is not supported (only null)");
  d.pre_tokenizer = read_pre_tokenizer(root.find("pre_tokenizer"), file);
  if (const Json* dec = root.find("decoder"); dec && !dec->is_null() && type_of(*dec, file, "decoder") != "ByteLevel")
    refuse(file, "decoder.type", "'" + dec->get_string("type", "") + "' is not supported (only ByteLevel)");
  // post_processor only matters with add_special_tokens=True, which encode() never does.

  const std::string config_file = (fs::path(file).parent_path() / "tokenizer_config.json").string();
  if (fs::exists(config_file)) {
    const Json config = read_json_file(config_file);
    if (!config.is_object()) refuse(config_file, "(top level)", "expected an object");
    d.bos = config_token(config, "bos_token", d.pieces, config_file);
    d.eos = config_token(config, "eos_token", d.pieces, config_file);
    d.pad = config_token(config, "pad_token", d.pieces, config_file);
    d.add_bos = config.get_bool("add_bos_token", false);
  }
  return std::make_shared<const ByteLevelBpeTokenizer>(std::move(d));
}

void write_tokenizer_json(const ByteLevelBpeTokenizer& tokenizer, const std::string& path) {
  const ByteBpeDefinition& d = tokenizer.definition();
  auto byte_level = [](bool add_prefix_space, bool trim_offsets) {
    Json j = Json::object();
    j.set("type", Json::string("ByteLevel"));
    j.set("add_prefix_space", Json::boolean(add_prefix_space));
    j.set("trim_offsets", Json::boolean(trim_offsets));
    j.set("use_regex", Json::boolean(true));
    return j;
  };
  Json root = Json::object();
  root.set("version", Json::string("1.0"));
  root.set("truncation", Json());
  root.set("padding", Json());
  Json added = Json::array();
  for (const AddedToken& t : d.added) {
    Json j = Json::object();
    j.set("id", Json::integer(t.id));
    j.set("content", Json::string(t.content));
    j.set("single_word", Json::boolean(false));
    j.set("lstrip", Json::boolean(false));
    j.set("rstrip", Json::boolean(false));
    j.set("normalized", Json::boolean(t.normalized));
    j.set("special", Json::boolean(t.special));
    added.push(std::move(j));
  }
  root.set("added_tokens", std::move(added));
  root.set("normalizer", Json());
  Json pre = byte_level(false, true);
  if (d.pre_tokenizer == PreTokenizerKind::Smollm) {
    Json digits = Json::object();
    digits.set("type", Json::string("Digits"));
    digits.set("individual_digits", Json::boolean(true));
    Json list = Json::array();
    list.push(std::move(digits));
    list.push(std::move(pre));
    pre = Json::object();
    pre.set("type", Json::string("Sequence"));
    pre.set("pretokenizers", std::move(list));
  }
  root.set("pre_tokenizer", std::move(pre));
  root.set("post_processor", byte_level(true, false));  // offsets only: adds no token
  root.set("decoder", byte_level(true, true));

  Json model = Json::object();
  model.set("type", Json::string("BPE"));
  model.set("dropout", Json());
  model.set("unk_token", Json());
  model.set("continuing_subword_prefix", Json());
  model.set("end_of_word_suffix", Json());
  model.set("fuse_unk", Json::boolean(false));
  model.set("byte_fallback", Json::boolean(false));
  model.set("ignore_merges", Json::boolean(d.ignore_merges));
  Json vocab = Json::object();
  for (size_t id = 0; id < d.pieces.size(); ++id) vocab.set(d.pieces[id], Json::integer(int64_t(id)));
  model.set("vocab", std::move(vocab));
  Json merges = Json::array();
  for (const auto& [left, right] : d.merges) {
    Json pair = Json::array();
    pair.push(Json::string(left));
    pair.push(Json::string(right));
    merges.push(std::move(pair));
  }
  model.set("merges", std::move(merges));
  root.set("model", std::move(model));
  write_json_file(path, root);
}

}  // namespace jstip::data
