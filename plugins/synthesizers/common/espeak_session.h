// One espeak-ng call at a time for the whole process. espeak-ng keeps one
// global engine (voice, parameters, callback, sample rate); the espeak-ng and
// mbrola plugins both drive it, each from its own library, so they serialize
// on jstip::shared_engine("espeak-ng") from libjstip_sdk and set the callback
// on every call. Initialization (once, by whichever plugin comes first) always
// enables phoneme events, which mbrola voices need for word starts.
#pragma once

#include <string>
#include <vector>

namespace jstip::synth {

struct EspeakEvent {
  int type = 0;           // espeakEVENT_WORD, espeakEVENT_PHONEME, ...
  int text_position = 0;  // 1-based character position, 0 when none
  int audio_ms = 0;       // espeak-ng's audio_position
  int sample = 0;         // the same in samples at the output rate
};

struct EspeakOutput {
  std::vector<short> samples;
  std::vector<EspeakEvent> events;
  int sample_rate = 0;  // 22050 for espeak-ng voices, the voice's own (16000) for mbrola
};

struct EspeakParameters {
  int rate = 175, pitch = 50, volume = 100;
};

// Selects `voice`, sets the parameters and says `text` (UTF-8).
EspeakOutput espeak_say(const std::string& voice, const EspeakParameters& parameters, const std::string& text);

// Whether espeak-ng accepts the voice; an accepted one says a short warm-up
// (a voice switch with no synthesis leaves espeak-ng's next utterance odd).
bool espeak_try_voice(const std::string& voice);

std::string espeak_data_dir();  // espeak-ng-data folder

}  // namespace jstip::synth
