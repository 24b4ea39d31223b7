#include "host/train/checkpoint_sources.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <filesystem>

#include "host/train/pretrained_architecture.h"
#include "host/train/tensor_hash.h"

namespace fs = std::filesystem;

namespace jstip::train {
namespace {

constexpr const char* kSlots[] = {"encoder", "projector", "llm"};

}  // namespace

void set_config_scalar(const ConfigNodePtr& root, const std::string& key, const std::string& text,
                       const std::string& origin) {
  ConfigNodePtr map = root;
  std::string rest = key;
  for (size_t dot; (dot = rest.find('.')) != std::string::npos; rest = rest.substr(dot + 1)) {
    const std::string part = rest.substr(0, dot);
    ConfigNodePtr child = map->find(part);
    if (!child || child->kind != ConfigNode::Kind::Map) {
      child = std::make_shared<ConfigNode>();
      child->kind = ConfigNode::Kind::Map;
      child->origin = origin;
      auto field = std::find_if(map->fields.begin(), map->fields.end(), [&](const auto& f) { return f.first == part; });
      if (field != map->fields.end()) field->second = child;
      else map->fields.emplace_back(part, child);
    }
    map = child;
  }
  auto node = std::make_shared<ConfigNode>();
  node->kind = ConfigNode::Kind::Scalar;
  node->scalar = text;
  node->origin = origin;
  for (auto& field : map->fields)
    if (field.first == rest) {
      field.second = node;
      return;
    }
  map->fields.emplace_back(rest, node);
}

Json to_json(const CheckpointManifest& manifest) {
  Json j = Json::object();
  j.set("format", Json::integer(1));
  if (manifest.tokenizer) j.set("tokenizer", to_json(*manifest.tokenizer));
  if (manifest.chat_template) j.set("chat_template", Json::boolean(true));
  Json slots = Json::object();
  for (const SlotSource& s : manifest.slots) {
    Json slot = Json::object();
    slot.set("pretrained", to_json(s.pretrained));
    slot.set("weights", Json::string(s.weights_inside ? "inside" : "outside"));
    slot.set("architecture", Json::string(s.architecture_in_config ? "config" : "pretrained"));
    Json omitted = Json::object();
    for (const auto& [name, hash] : s.omitted) omitted.set(name, Json::string(hash_hex(hash)));
    slot.set("omitted", std::move(omitted));
    slots.set(s.slot, std::move(slot));
  }
  j.set("slots", std::move(slots));
  return j;
}

CheckpointManifest manifest_from_json(const Json& json, const std::string& origin) {
  auto bad = [&](const std::string& field, const std::string& expected) {
    throw std::runtime_error(origin + ": " + field + ": expected " + expected);
  };
  if (!json.is_object()) bad("(top level)", "an object");
  if (json.get_int("format", 0) != 1) bad("format", "1 (written by a newer jstip?)");
  CheckpointManifest manifest;
  if (const Json* t = json.find("tokenizer")) manifest.tokenizer = tokenizer_copy_from_json(*t, origin);
  manifest.chat_template = json.get_bool("chat_template", false);
  const Json* slots = json.find("slots");
  if (!slots || !slots->is_object()) bad("slots", "an object");
  for (const auto& [name, s] : slots->fields()) {
    if (std::find(std::begin(kSlots), std::end(kSlots), name) == std::end(kSlots))
      bad("slots." + name, "a slot name (encoder, projector, llm)");
    const std::string where = "slots." + name;
    if (!s.is_object()) bad(where, "an object");
    SlotSource slot;
    slot.slot = name;
    const Json* pretrained = s.find("pretrained");
    if (!pretrained) bad(where + ".pretrained", "the recorded file");
    slot.pretrained = pretrained_record_from_json(*pretrained, origin);
    const std::string weights = s.get_string("weights", ""), architecture = s.get_string("architecture", "");
    if (weights != "inside" && weights != "outside") bad(where + ".weights", "inside or outside");
    if (architecture != "config" && architecture != "pretrained") bad(where + ".architecture", "config or pretrained");
    slot.weights_inside = weights == "inside";
    slot.architecture_in_config = architecture == "config";
    const Json* omitted = s.find("omitted");
    if (!omitted || !omitted->is_object()) bad(where + ".omitted", "an object of tensor name: hash");
    for (const auto& [tensor, hash] : omitted->fields()) {
      if (tensor.rfind(name + ".", 0) != 0) bad(where + ".omitted", "tensors of the slot, not '" + tensor + "'");
      if (!hash.is_string()) bad(where + ".omitted." + tensor, "a hash");
      try {
        slot.omitted[tensor] = parse_hash_hex(hash.as_string());
      } catch (const std::invalid_argument& e) {
        bad(where + ".omitted." + tensor, e.what());
      }
    }
    if (slot.weights_inside != slot.omitted.empty()) bad(where + ".omitted", "tensors exactly when weights is outside");
    manifest.slots.push_back(std::move(slot));
  }
  return manifest;
}

std::optional<CheckpointManifest> read_manifest(const std::string& folder) {
  const fs::path path = fs::path(folder) / kSourcesFile;
  if (!fs::exists(path)) return std::nullopt;
  return manifest_from_json(read_json_file(path.string()), path.string());
}

CheckpointSources prepare_checkpoint_sources(torch::nn::Module& model, const Config& resolved,
                                             const std::string& run_dir) {
  CheckpointSources sources;
  auto root = resolved.node()->clone();
  auto children = model.named_children();
  for (const char* slot : kSlots) {
    const std::string pretrained = resolved.get_string(std::string(slot) + ".pretrained", "");
    if (pretrained.empty() || !children.contains(slot)) continue;
    SlotBase base;
    base.slot = slot;
    base.pretrained = record_pretrained(std::string(slot) + ".pretrained", pretrained);
    const std::string plugin = resolved.get_string(std::string(slot) + ".type", "");
    if (auto options = architecture_options(plugin, pretrained)) {
      base.architecture_in_config = true;
      for (const auto& [key, value] : *options)
        set_config_scalar(root, std::string(slot) + "." + key, value, "from " + pretrained);
    } else {
      spdlog::info("{}: the {} plugin's sizes from {} are not expressible as its options: decoding a checkpoint of "
                   "this run needs the file", slot, plugin, pretrained);
    }
    for (const auto& p : children[slot]->named_parameters())  // not the adapters a slot's `lora:` added
      if (p.key().find("lora_") == std::string::npos)
        base.tensor_hashes[std::string(slot) + "." + p.key()] = tensor_hash(p.value());
    sources.bases.push_back(std::move(base));
  }
  sources.config = Config(root, "");

  const std::string tokenizer = resolved.get_string("tokenizer.model", "");
  if (!tokenizer.empty()) {
    sources.tokenizer_folder = (fs::path(run_dir) / kTokenizerFolder).string();
    sources.tokenizer = copy_tokenizer(tokenizer, sources.tokenizer_folder);
    const std::string chat_template = resolved.get_string("prompt.chat_template", "");
    if (!chat_template.empty() && resolved.get_string("prompt.format", "plain") == "chat") {
      copy_chat_template(chat_template, (fs::path(run_dir) / kChatTemplateFolder).string());
      sources.chat_template = true;
    }
  }
  return sources;
}

}  // namespace jstip::train
