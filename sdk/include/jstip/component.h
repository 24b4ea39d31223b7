// Base of every object a plugin creates. Its typeinfo lives in libjstip_sdk,
// so the host can dynamic_cast plugin objects to the interface of their kind.
#pragma once

#include <memory>
#include <string>

#include "jstip/export.h"

namespace jstip {

class JSTIP_API Component {
 public:
  virtual ~Component();
};

// Plugin kinds, as they appear in descriptors and in `jstip plugins list`.
inline constexpr const char* kKindEncoder = "encoder";
inline constexpr const char* kKindProjector = "projector";
inline constexpr const char* kKindLlm = "llm";
inline constexpr const char* kKindInterleaver = "interleaver";
inline constexpr const char* kKindSynthesizer = "synthesizer";

}  // namespace jstip
