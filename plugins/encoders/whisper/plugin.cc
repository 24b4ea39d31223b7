// Exports WhisperEncoder as the `whisper` encoder plugin.
#include "jstip/plugin.h"
#include "whisper_encoder.h"

JSTIP_PLUGIN(jstip::whisper::WhisperEncoder, "encoder", "whisper", "1.0.0",
             "Whisper audio encoder (x2 conv down-sampling), imports HF Whisper encoder weights, masks padding",
             jstip::whisper::kWhisperOptions)
