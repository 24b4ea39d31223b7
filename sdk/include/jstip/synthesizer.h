// Synthesizer: normalized text -> 16 kHz speech with one time span per word.
//
// A synthesizer plugin wraps one TTS engine (espeak-ng, mbrola, flite,
// festival, ...). It offers a list of voices and is deterministic: the same
// request (text, voice, seed) gives the same audio and timings. No torch here:
// synthesis is plain audio and numbers.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "jstip/component.h"

namespace jstip {

inline constexpr int kSynthesisSampleRate = 16000;

struct SynthesisRequest {
  std::string text;   // normalized: lower-case words separated by single spaces
  std::string voice;  // one of voices(); empty: drawn from the seed
  uint64_t seed = 0;  // voice (when empty) and prosody are a function of it
};

struct SynthesizedWord {
  std::string text;              // the request's word, not the engine's spelling
  double start = 0, end = 0;     // seconds, start <= end <= audio length
  float confidence = 1;          // < 1 where the engine's timing was estimated
};

struct SynthesizedSpeech {
  std::vector<float> samples;           // mono, kSynthesisSampleRate, in [-1, 1]
  std::vector<SynthesizedWord> words;   // one per word of the request, in order
  std::string voice;                    // the voice used (one of voices())
  std::vector<std::pair<std::string, std::string>> settings;  // prosody drawn ("rate" -> "163"), for records
};

class JSTIP_API Synthesizer : public Component {
 public:
  ~Synthesizer() override;  // defined in libjstip_sdk: one vtable and typeinfo for all plugins

  // The voices this instance draws from (its configured subset).
  virtual std::vector<std::string> voices() const = 0;

  // Throws std::exception with a message naming the engine, voice and text
  // when the engine cannot say it (or its words cannot be timed).
  virtual SynthesizedSpeech synthesize(const SynthesisRequest& request) const = 0;
};

// Engines with one global state per process (espeak-ng serves both the
// espeak-ng and the mbrola plugins) need one lock per process. Each plugin is
// its own library with its own statics, so the lock and a small state word
// (e.g. "initialized, at this sample rate") live in libjstip_sdk, one per name.
struct SharedEngine {
  std::mutex mutex;
  int64_t state = 0;  // the engine's own use; 0 at first
};
JSTIP_API SharedEngine& shared_engine(const std::string& name);

}  // namespace jstip
