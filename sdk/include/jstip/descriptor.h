// The plugin descriptor: the one C-compatible record every plugin exports.
//
// The host reads it with nothing but dlsym, and checks each field against its
// own build before it calls any C++ in the plugin (the LLVM pass-plugin idea:
// a mismatched SDK, LibTorch or C++ ABI is refused with a message, not a crash).
#pragma once

#include <stdint.h>

#include "jstip/options.h"

#ifdef __cplusplus
extern "C" {
#endif

// Bumped whenever a field is added to or removed from this struct or the
// meaning of one changes. Interface changes are caught by interface_hash.
#define JSTIP_DESCRIPTOR_SYMBOL "jstip_plugin_descriptor"
#define JSTIP_FACTORY_SYMBOL "jstip_plugin_create"

typedef struct jstip_descriptor {
  uint32_t struct_size;          // sizeof(jstip_descriptor) in the plugin's build
  uint32_t api_version;          // JSTIP_SDK_API_VERSION the plugin was built with
  const char* interface_hash;    // JSTIP_SDK_INTERFACE_HASH: hash of the SDK interface headers
  const char* torch_version;     // LibTorch version, "1.13.0"
  int32_t cxx11_abi;             // _GLIBCXX_USE_CXX11_ABI
  const char* compiler;          // compiler family and major version, "GNU 12"
  const char* name;              // unique plugin name, the `type:` in YAML
  const char* kind;              // "encoder", "projector", "llm", "interleaver", "synthesizer"
  const char* version;           // plugin's own version, "1.0.0"
  const char* summary;           // one line for `jstip plugins list`
  const jstip_option_desc* options;
  uint32_t num_options;
} jstip_descriptor;

#ifdef __cplusplus
}  // extern "C"
#endif
