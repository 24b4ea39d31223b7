// Finds plugin libraries, checks their descriptors and creates their objects.
//
// A library is opened and its C descriptor read and checked against this
// build (API version, interface hash, LibTorch, C++ ABI, compiler) before any
// C++ factory in it is called. Objects created here keep their library loaded
// for as long as they live.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "jstip/component.h"
#include "jstip/config.h"

namespace jstip::host {

class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionInfo {
  std::string name;
  int32_t type = 0;           // jstip_option_type
  bool required = false;
  std::string default_value;  // YAML text; empty when required
  std::string doc;
};

struct PluginInfo {
  std::string name;
  std::string kind;
  std::string version;
  std::string summary;
  std::string path;  // the .so it came from
  std::vector<OptionInfo> options;
  const OptionInfo* option(const std::string& key) const;  // null when not declared
};

struct RefusedLibrary {
  std::string path;
  std::string reason;  // e.g. "api_version is 2, this host expects 1"
};

class PluginRegistry {
 public:
  // Scans each folder for *.so files. A duplicate plugin name throws a
  // PluginError naming both files; other bad libraries are kept in refused().
  static std::shared_ptr<PluginRegistry> scan(const std::vector<std::string>& folders);

  // <exe>/../plugins (build tree), <exe>/../lib/jstip/plugins (installed),
  // then JSTIP_PLUGIN_PATH (colon separated).
  static std::vector<std::string> default_folders();

  const std::vector<PluginInfo>& plugins() const { return plugins_; }
  const std::vector<RefusedLibrary>& refused() const { return refused_; }

  // Throws PluginError when no plugin has that name (with a suggestion and,
  // if a library of that name was refused, the reason) or the kind differs.
  const PluginInfo& find(const std::string& name, const std::string& kind = "") const;

  // Validates `options` against the plugin's schema (unknown key with a
  // suggestion, wrong type, missing required key: each names file:line),
  // fills defaults, then calls the factory. Exceptions thrown by plugin code
  // come back as PluginError naming the plugin.
  std::shared_ptr<Component> create(const std::string& name, const std::string& kind,
                                    const Config& options) const;

  template <typename Interface>
  std::shared_ptr<Interface> create_as(const std::string& name, const std::string& kind,
                                       const Config& options) const {
    auto object = create(name, kind, options);
    auto typed = std::dynamic_pointer_cast<Interface>(object);
    if (!typed) throw PluginError("plugin '" + name + "' created an object that is not a " + kind);
    return typed;
  }

  struct Library;  // an opened .so (defined in the .cc)

 private:
  void announce(const PluginInfo& info) const;  // logs a plugin's first create()

  std::vector<PluginInfo> plugins_;
  std::vector<RefusedLibrary> refused_;
  std::vector<std::shared_ptr<Library>> libraries_;  // parallel to plugins_
  mutable std::mutex announced_mutex_;
  mutable std::set<std::string> announced_;  // plugin names already logged
};

// Checks one descriptor against this build; returns "" when it matches, else
// the first field that differs with what was expected.
std::string check_descriptor_fields(uint32_t struct_size, uint32_t api_version, const char* interface_hash,
                                    const char* torch_version, int32_t cxx11_abi, const char* compiler);

// Code loaded into the host (plugins, the sentencepiece module) must not be
// rewritable by anyone: returns why `path` (a file or folder) is refused
// because others may write it, or "" when it is fine, absent, or
// JSTIP_ALLOW_WRITABLE_PLUGINS=1.
std::string writable_by_others(const std::string& path);

}  // namespace jstip::host
