// Out-of-line destructors: the key functions that pin each interface's vtable
// and typeinfo to libjstip_sdk.
#include "jstip/encoder.h"
#include "jstip/interleaver.h"
#include "jstip/llm.h"
#include "jstip/projector.h"

namespace jstip {
SpeechEncoder::~SpeechEncoder() = default;
Projector::~Projector() = default;
LanguageModel::~LanguageModel() = default;
Interleaver::~Interleaver() = default;
}  // namespace jstip
