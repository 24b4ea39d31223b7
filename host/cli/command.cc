#include "host/cli/command.h"

#include <cstdlib>
#include <stdexcept>

namespace jstip::cli {

std::vector<Command>& commands() {
  static std::vector<Command> registered;
  return registered;
}

std::vector<std::string>& raw_arguments() {
  static std::vector<std::string> arguments;
  return arguments;
}

CommandRegistration::CommandRegistration(const char* name, const char* summary, const char* usage, CommandFn run) {
  commands().push_back({name, summary, usage, run});
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = options.find(name);
  return it == options.end() ? fallback : it->second;
}

int64_t Args::get_int(const std::string& name, int64_t fallback) const {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  char* end = nullptr;
  long long value = std::strtoll(it->second.c_str(), &end, 10);
  if (it->second.empty() || *end != '\0')
    throw std::invalid_argument("--" + name + " expects an integer, got '" + it->second + "'");
  return value;
}

double Args::get_double(const std::string& name, double fallback) const {
  auto it = options.find(name);
  if (it == options.end()) return fallback;
  char* end = nullptr;
  double value = std::strtod(it->second.c_str(), &end);
  if (it->second.empty() || *end != '\0')
    throw std::invalid_argument("--" + name + " expects a number, got '" + it->second + "'");
  return value;
}

}  // namespace jstip::cli
