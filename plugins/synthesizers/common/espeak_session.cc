#include "common/espeak_session.h"

#include <dlfcn.h>
#include <espeak-ng/espeak_ng.h>
#include <espeak-ng/speak_lib.h>

#include <mutex>
#include <stdexcept>

#include "jstip/synthesizer.h"

namespace jstip::synth {
namespace {

// The capture of the synthesis in progress in *this* library (set under the
// shared lock): audio chunks arrive with no event naming their request.
EspeakOutput* active = nullptr;

int on_audio(short* wav, int count, espeak_EVENT* events) {
  if (!active) return 0;
  for (espeak_EVENT* e = events; e && e->type != espeakEVENT_LIST_TERMINATED; ++e)
    active->events.push_back({int(e->type), e->text_position, e->audio_position, e->sample});
  if (wav && count > 0) active->samples.insert(active->samples.end(), wav, wav + count);
  return 0;  // continue
}

// Call with the lock held. state: 0 = not initialized, else the init rate.
void initialize(SharedEngine& engine) {
  if (engine.state != 0) return;
  const int rate = espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, nullptr,
                                     espeakINITIALIZE_DONT_EXIT | espeakINITIALIZE_PHONEME_EVENTS);
  if (rate <= 0)
    throw std::runtime_error("espeak-ng: initialization failed (apt-get install espeak-ng; is espeak-ng-data there?)");
  // The "initialized" state lives in the SDK for the whole process, but
  // libespeak-ng would be unloaded with the last plugin using it (e.g. an
  // espeak-ng synthesizer destroyed before an mbrola one is made) and come
  // back uninitialized. Keep it loaded for good.
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(&espeak_Initialize), &info) && info.dli_fname)
    dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
  engine.state = rate;
}

EspeakOutput say_locked(const std::string& text) {
  EspeakOutput out;
  espeak_SetSynthCallback(on_audio);  // ours: the other plugin may have set its own
  active = &out;
  const espeak_ERROR status = espeak_Synth(text.c_str(), text.size() + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8,
                                           nullptr, nullptr);
  active = nullptr;
  if (status != EE_OK) throw std::runtime_error("espeak-ng: synthesis failed for '" + text + "'");
  out.sample_rate = espeak_ng_GetSampleRate();
  return out;
}

}  // namespace

EspeakOutput espeak_say(const std::string& voice, const EspeakParameters& p, const std::string& text) {
  SharedEngine& engine = shared_engine("espeak-ng");
  std::lock_guard<std::mutex> lock(engine.mutex);
  initialize(engine);
  if (espeak_SetVoiceByName(voice.c_str()) != EE_OK)
    throw std::runtime_error("espeak-ng: unknown voice '" + voice + "' (see `espeak-ng --voices=en`)");
  espeak_SetParameter(espeakRATE, p.rate, 0);
  espeak_SetParameter(espeakPITCH, p.pitch, 0);
  espeak_SetParameter(espeakVOLUME, p.volume, 0);
  return say_locked(text);
}

bool espeak_try_voice(const std::string& voice) {
  SharedEngine& engine = shared_engine("espeak-ng");
  std::lock_guard<std::mutex> lock(engine.mutex);
  initialize(engine);
  if (espeak_SetVoiceByName(voice.c_str()) != EE_OK) return false;
  say_locked("a");
  return true;
}

std::string espeak_data_dir() {
  SharedEngine& engine = shared_engine("espeak-ng");
  std::lock_guard<std::mutex> lock(engine.mutex);
  initialize(engine);
  const char* dir = nullptr;
  espeak_Info(&dir);
  return dir ? dir : "";
}

}  // namespace jstip::synth
