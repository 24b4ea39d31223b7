// Logging hook for plugins. The host routes these to its spdlog logger, so
// plugins need not link spdlog or agree with the host on its version.
#pragma once

#include <string>

#include "jstip/export.h"

namespace jstip {

enum class LogLevel { Trace = 0, Debug = 1, Info = 2, Warn = 3, Error = 4 };

using LogSink = void (*)(LogLevel level, const std::string& source, const std::string& message);

JSTIP_API void set_log_sink(LogSink sink);  // host calls this once at start-up
JSTIP_API void log(LogLevel level, const std::string& source, const std::string& message);

}  // namespace jstip
