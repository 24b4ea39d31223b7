// `jstip convert` of a CTranslate2 Whisper folder (model.bin, as faster-whisper
// ships it): the Hugging Face layout transformers' WhisperModel and
// WhisperForConditionalGeneration load.
#pragma once

#include <string>

namespace jstip::cli {

// True when `source` is a folder holding a CTranslate2 model.bin.
bool is_ctranslate2_folder(const std::string& source);

// Writes OUT/config.json, OUT/model.safetensors (float32, the fused attention
// projections split into q, k, v) and, when the source has one, tokenizer.json;
// into OUT.tmp first, renamed into place. Returns what it wrote, for the user.
std::string convert_whisper_ct2(const std::string& source, const std::string& out);

}  // namespace jstip::cli
