#include "host/data/sentencepiece_tokenizer.h"

#include <dlfcn.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "host/data/sentencepiece_backend.h"
#include "host/runtime/plugin_registry.h"

namespace jstip::data {
namespace {

struct Module {
  JstipSentencePieceCreateFn create = nullptr;
  JstipSentencePieceTrainFn train = nullptr;
};

// RTLD_DEEPBIND keeps libsentencepiece's private protobuf apart from the system
// one (sentencepiece_backend.h). ASan's dlopen interceptor refuses that flag
// outright, because a deep-bound library that does not itself depend on libasan
// would bind malloc to libc's and mix the heaps. In a JSTIP_SANITIZE build the
// module is instrumented, so libasan comes first in its own lookup scope and
// binds malloc/new to ASan's; the flag is then safe, and we call libc's dlopen
// past the interceptor.
void* open_deep_bound(const char* path) {
  const int flags = RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND;
#ifdef JSTIP_SANITIZE
  using DlopenFn = void* (*)(const char*, int);
  static const DlopenFn libc_dlopen = [] {
    void* libc = ::dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    return libc ? reinterpret_cast<DlopenFn>(::dlsym(libc, "dlopen")) : nullptr;
  }();
  if (!libc_dlopen) throw std::runtime_error("tokenizer: cannot find libc's dlopen (JSTIP_SANITIZE build)");
  return libc_dlopen(path, flags);
#else
  return ::dlopen(path, flags);
#endif
}

// The module is code, like a plugin: the same rule as the plugin registry
// (no world-writable file or folder unless JSTIP_ALLOW_WRITABLE_PLUGINS=1).
std::string module_refusal(const std::string& path) {
  const std::string folder = std::filesystem::absolute(path).parent_path().string();
  if (auto why = host::writable_by_others(folder); !why.empty()) return why;
  return host::writable_by_others(path);
}

// Loads libjstip_sentencepiece.so once (never unloaded: models it made may live until exit).
const Module& module() {
  static const Module loaded = [] {
    std::vector<std::string> candidates;
    if (const char* env = std::getenv("JSTIP_SENTENCEPIECE_MODULE")) candidates.push_back(env);
#ifdef JSTIP_SENTENCEPIECE_MODULE_BUILD
    candidates.push_back(JSTIP_SENTENCEPIECE_MODULE_BUILD);
#endif
    std::error_code ec;
    const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
    if (!ec) candidates.push_back((self.parent_path() / "../lib/libjstip_sentencepiece.so").lexically_normal().string());
#ifdef JSTIP_SENTENCEPIECE_MODULE_INSTALL
    candidates.push_back(JSTIP_SENTENCEPIECE_MODULE_INSTALL);
#endif
    std::string tried;
    for (const auto& path : candidates) {
      if (!std::filesystem::exists(path)) {
        tried += "\n  " + path + " (absent)";
        continue;
      }
      if (auto why = module_refusal(path); !why.empty()) {
        // Said now, not only on failure: a later candidate may load instead of the one the user named.
        spdlog::warn("tokenizer: not loading the sentencepiece module {}: {}", path, why);
        tried += "\n  " + path + " (refused: " + why + ")";
        continue;
      }
      void* handle = open_deep_bound(path.c_str());
      if (!handle) {
        tried += "\n  " + path + " (" + ::dlerror() + ")";
        continue;
      }
      Module m;
      m.create = reinterpret_cast<JstipSentencePieceCreateFn>(::dlsym(handle, "jstip_sentencepiece_create"));
      m.train = reinterpret_cast<JstipSentencePieceTrainFn>(::dlsym(handle, "jstip_sentencepiece_train"));
      if (m.create && m.train) return m;
      tried += "\n  " + path + " (missing entry points)";
    }
    throw std::runtime_error("tokenizer: cannot load the sentencepiece module; tried:" + tried +
                             "\nset JSTIP_SENTENCEPIECE_MODULE to libjstip_sentencepiece.so");
  }();
  return loaded;
}

}  // namespace

void train_tokenizer(const TokenizerTrainOptions& o) {
  if (o.inputs.empty()) throw std::invalid_argument("tokenizer train: no input text files");
  if (o.model_prefix.empty()) throw std::invalid_argument("tokenizer train: no model prefix");
  if (o.model_type != "bpe" && o.model_type != "unigram")
    throw std::invalid_argument("tokenizer train: model type must be 'bpe' or 'unigram', got '" + o.model_type + "'");
  std::string inputs;
  for (const auto& f : o.inputs) inputs += (inputs.empty() ? "" : ",") + f;
  // Train under a temporary prefix, then rename: a crash leaves no half model.
  const std::string temp = o.model_prefix + ".tmp." + std::to_string(::getpid());
  std::string args = "--input=" + inputs + " --model_prefix=" + temp + " --vocab_size=" + std::to_string(o.vocab_size) +
                     " --model_type=" + o.model_type + " --character_coverage=" + std::to_string(o.character_coverage) +
                     " --hard_vocab_limit=" + (o.hard_vocab_limit ? "true" : "false") +
                     " --byte_fallback=" + (o.byte_fallback ? "true" : "false") +
                     " --split_by_whitespace=true --minloglevel=1";
  if (!o.user_defined_symbols.empty()) {
    std::string symbols;
    for (const auto& s : o.user_defined_symbols) symbols += (symbols.empty() ? "" : ",") + s;
    args += " --user_defined_symbols=" + symbols;
  }
  if (!o.extra_args.empty()) args += " " + o.extra_args;
  std::string error;
  if (!module().train(args, &error)) {
    std::remove((temp + ".model").c_str());
    std::remove((temp + ".vocab").c_str());
    throw std::runtime_error("tokenizer train (" + inputs + "): " + error);
  }
  for (const char* ext : {".model", ".vocab"})
    if (std::rename((temp + ext).c_str(), (o.model_prefix + ext).c_str()) != 0)
      throw std::runtime_error("tokenizer train: cannot rename " + temp + ext + " to " + o.model_prefix + ext);
}

SentencePieceTokenizer::SentencePieceTokenizer(const std::string& model_path)
    : processor_(module().create()), path_(model_path) {
  const std::string error = processor_->load(model_path);
  if (!error.empty()) throw std::runtime_error(model_path + ": cannot load sentencepiece model: " + error);
}

SentencePieceTokenizer::~SentencePieceTokenizer() = default;

std::vector<int> SentencePieceTokenizer::encode(const std::string& text) const {
  std::vector<int> ids;
  const std::string error = processor_->encode(text, &ids);
  if (!error.empty()) throw std::runtime_error(path_ + ": encode failed: " + error);
  return ids;
}

std::string SentencePieceTokenizer::decode(const std::vector<int>& ids) const {
  std::string text;
  const std::string error = processor_->decode(ids, &text);
  if (!error.empty()) throw std::runtime_error(path_ + ": decode failed: " + error);
  return text;
}

std::vector<std::string> SentencePieceTokenizer::pieces(const std::vector<int>& ids) const {
  std::vector<std::string> out;
  for (int id : ids) out.push_back(processor_->id_to_piece(id));
  return out;
}

int SentencePieceTokenizer::vocab_size() const { return processor_->size(); }

// sentencepiece answers an absent piece with its unk id: only a round trip
// to the same piece is a real match.
std::optional<int> SentencePieceTokenizer::token_id(const std::string& piece) const {
  const int id = processor_->piece_to_id(piece);
  if (id < 0 || id >= processor_->size() || processor_->id_to_piece(id) != piece) return std::nullopt;
  return id;
}

int SentencePieceTokenizer::bos_id() const { return processor_->bos_id(); }
int SentencePieceTokenizer::eos_id() const { return processor_->eos_id(); }
int SentencePieceTokenizer::pad_id() const { return processor_->pad_id(); }

}  // namespace jstip::data
