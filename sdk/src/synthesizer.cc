#include "jstip/synthesizer.h"

#include <map>
#include <memory>

namespace jstip {

SharedEngine& shared_engine(const std::string& name) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::unique_ptr<SharedEngine>> engines;  // never freed: plugins may outlive statics
  std::lock_guard<std::mutex> lock(registry_mutex);
  auto& slot = engines[name];
  if (!slot) slot = std::make_unique<SharedEngine>();
  return *slot;
}

}  // namespace jstip
