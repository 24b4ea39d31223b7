#include "jstip/log.h"

#include <atomic>
#include <cstdio>

namespace jstip {
namespace {
void stderr_sink(LogLevel level, const std::string& source, const std::string& message) {
  static const char* names[] = {"trace", "debug", "info", "warning", "error"};
  std::fprintf(stderr, "[%s] %s: %s\n", names[static_cast<int>(level)], source.c_str(), message.c_str());
}
std::atomic<LogSink> g_sink{&stderr_sink};
}  // namespace

void set_log_sink(LogSink sink) { g_sink.store(sink ? sink : &stderr_sink); }

void log(LogLevel level, const std::string& source, const std::string& message) {
  g_sink.load()(level, source, message);
}

}  // namespace jstip
