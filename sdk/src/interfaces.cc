// Out-of-line destructors: the key functions that pin each interface's vtable
// and typeinfo to libjstip_sdk.
#include "jstip/encoder.h"
#include "jstip/interleaver.h"
#include "jstip/llm.h"
#include "jstip/projector.h"
#include "jstip/synthesizer.h"

namespace jstip {
SpeechEncoder::~SpeechEncoder() = default;
Projector::~Projector() = default;
LanguageModel::~LanguageModel() = default;
Interleaver::~Interleaver() = default;
Synthesizer::~Synthesizer() = default;
}  // namespace jstip
