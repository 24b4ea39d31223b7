#include "host/runtime/plugin_registry.h"

#include <sys/stat.h>
#include <spdlog/spdlog.h>
#include <torch/version.h>

#include <boost/dll/shared_library.hpp>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "host/runtime/config_loader.h"
#include "host/runtime/option_schema.h"
#include "jstip/descriptor.h"
#include "jstip/log.h"
#include "jstip/plugin.h"

namespace fs = std::filesystem;

namespace jstip::host {

struct PluginRegistry::Library {
  boost::dll::shared_library handle;
  std::string path;
};

namespace {

using FactoryFn = void(const jstip::Config*, std::shared_ptr<jstip::Component>*);

std::string text_or_null(const char* text) { return text ? text : "(null)"; }

std::vector<OptionInfo> read_options(const jstip_descriptor& d) {
  std::vector<OptionInfo> options;
  for (uint32_t i = 0; i < d.num_options; ++i) {
    const jstip_option_desc& o = d.options[i];
    OptionInfo info;
    info.name = text_or_null(o.name);
    info.type = o.type;
    info.required = o.default_value == nullptr;
    info.default_value = o.default_value ? o.default_value : "";
    info.doc = o.doc ? o.doc : "";
    options.push_back(info);
  }
  return options;
}

}  // namespace

// Plugins are code: refuse files anyone may rewrite, unless told otherwise.
std::string writable_by_others(const std::string& path) {
  if (const char* allow = std::getenv("JSTIP_ALLOW_WRITABLE_PLUGINS"); allow && std::string(allow) == "1") return "";
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) return "";
  if (info.st_mode & S_IWOTH)
    return path + " is world-writable; fix its permissions (chmod o-w) or set JSTIP_ALLOW_WRITABLE_PLUGINS=1";
  return "";
}

std::string check_descriptor_fields(uint32_t struct_size, uint32_t api_version, const char* interface_hash,
                                    const char* torch_version, int32_t cxx11_abi, const char* compiler) {
  std::ostringstream why;
  if (struct_size != sizeof(jstip_descriptor))
    why << "descriptor size is " << struct_size << " bytes, this host expects " << sizeof(jstip_descriptor);
  else if (api_version != JSTIP_SDK_API_VERSION)
    why << "api_version is " << api_version << ", this host expects " << JSTIP_SDK_API_VERSION;
  else if (text_or_null(interface_hash) != JSTIP_SDK_INTERFACE_HASH)
    why << "interface_hash is " << text_or_null(interface_hash) << ", this host expects " << JSTIP_SDK_INTERFACE_HASH
        << " (built against different SDK headers)";
  else if (text_or_null(torch_version) != TORCH_VERSION)
    why << "torch_version is " << text_or_null(torch_version) << ", this host expects " << TORCH_VERSION;
  else if (cxx11_abi != JSTIP_CXX11_ABI)
    why << "cxx11_abi is " << cxx11_abi << ", this host expects " << JSTIP_CXX11_ABI;
  else if (text_or_null(compiler) != JSTIP_COMPILER_ID)
    why << "compiler is " << text_or_null(compiler) << ", this host expects " << JSTIP_COMPILER_ID;
  if (why.tellp() > 0) why << "; rebuild the plugin against this SDK";
  return why.str();
}

const OptionInfo* PluginInfo::option(const std::string& key) const {
  for (const auto& o : options)
    if (o.name == key) return &o;
  return nullptr;
}

std::vector<std::string> PluginRegistry::default_folders() {
  // Relative to the running executable, so the same binary works in the build
  // tree (build/bin -> build/plugins) and installed (bin -> lib/jstip/plugins).
  std::vector<std::string> folders;
  std::error_code ec;
  fs::path exe_dir = fs::read_symlink("/proc/self/exe", ec).parent_path();
  if (!ec) {
    folders.push_back((exe_dir / ".." / "plugins").string());
    folders.push_back((exe_dir / ".." / "lib" / "jstip" / "plugins").string());
  }
  if (const char* env = std::getenv("JSTIP_PLUGIN_PATH")) {
    std::stringstream list(env);
    std::string folder;
    while (std::getline(list, folder, ':'))
      if (!folder.empty()) folders.push_back(folder);
  }
  return folders;
}

std::shared_ptr<PluginRegistry> PluginRegistry::scan(const std::vector<std::string>& folders) {
  auto registry = std::make_shared<PluginRegistry>();
  std::map<std::string, std::string> seen_folders;  // canonical -> as given, so a folder listed twice is read once
  for (const auto& folder : folders) {
    std::error_code ec;
    fs::path canonical = fs::weakly_canonical(folder, ec);
    if (ec || !fs::is_directory(canonical)) continue;  // absent folders are normal (e.g. no install yet)
    if (!seen_folders.emplace(canonical.string(), folder).second) continue;
    if (auto why = writable_by_others(canonical.string()); !why.empty()) {
      registry->refused_.push_back({canonical.string(), why});
      continue;
    }
    std::vector<fs::path> files;
    for (const auto& entry : fs::directory_iterator(canonical))
      if (entry.is_regular_file() && entry.path().extension() == ".so") files.push_back(entry.path());
    std::sort(files.begin(), files.end());

    for (const auto& file : files) {
      if (auto why = writable_by_others(file.string()); !why.empty()) {
        registry->refused_.push_back({file.string(), why});
        continue;
      }
      auto library = std::make_shared<Library>();
      library->path = file.string();
      try {
        library->handle.load(file.string());
      } catch (const std::exception& e) {
        registry->refused_.push_back({file.string(), std::string("cannot be loaded: ") + e.what()});
        continue;
      }
      if (!library->handle.has(JSTIP_DESCRIPTOR_SYMBOL)) {
        registry->refused_.push_back(
            {file.string(), "not a jstip plugin: it exports no '" JSTIP_DESCRIPTOR_SYMBOL "' symbol"});
        continue;
      }
      const auto& d = library->handle.get<const jstip_descriptor>(JSTIP_DESCRIPTOR_SYMBOL);
      // Only struct_size is read before we know the layout matches.
      std::string why = d.struct_size != sizeof(jstip_descriptor)
                            ? check_descriptor_fields(d.struct_size, 0, nullptr, nullptr, 0, nullptr)
                            : check_descriptor_fields(d.struct_size, d.api_version, d.interface_hash,
                                                      d.torch_version, d.cxx11_abi, d.compiler);
      if (why.empty() && !library->handle.has(JSTIP_FACTORY_SYMBOL))
        why = "descriptor present but no '" JSTIP_FACTORY_SYMBOL "' factory";
      if (!why.empty()) {
        registry->refused_.push_back({file.string(), why});
        continue;
      }
      PluginInfo info;
      info.name = text_or_null(d.name);
      info.kind = text_or_null(d.kind);
      info.version = text_or_null(d.version);
      info.summary = d.summary ? d.summary : "";
      info.path = file.string();
      info.options = read_options(d);
      for (const auto& other : registry->plugins_)
        if (other.name == info.name)
          throw PluginError("two plugins are named '" + info.name + "': " + other.path + " and " + info.path +
                            "; remove one or take its folder out of the plugin path");
      registry->plugins_.push_back(std::move(info));
      registry->libraries_.push_back(library);
    }
  }
  return registry;
}

const PluginInfo& PluginRegistry::find(const std::string& name, const std::string& kind) const {
  for (const auto& plugin : plugins_) {
    if (plugin.name != name) continue;
    if (!kind.empty() && plugin.kind != kind)
      throw PluginError("plugin '" + name + "' (" + plugin.path + ") is a " + plugin.kind + ", not a " + kind);
    return plugin;
  }
  std::ostringstream why;
  why << "no " << (kind.empty() ? "plugin" : kind + " plugin") << " named '" << name << "'";
  std::vector<std::string> names;
  for (const auto& plugin : plugins_)
    if (kind.empty() || plugin.kind == kind) names.push_back(plugin.name);
  if (auto suggestion = closest_match(name, names); !suggestion.empty()) why << "; did you mean '" << suggestion << "'?";
  for (const auto& refused : refused_)
    if (fs::path(refused.path).stem().string().find(name) != std::string::npos)
      why << "; " << refused.path << " was refused: " << refused.reason;
  if (!names.empty()) {
    why << " (available:";
    for (const auto& n : names) why << ' ' << n;
    why << ")";
  }
  throw PluginError(why.str());
}

// One line per plugin a command actually uses, so a run's log says which code ran.
void PluginRegistry::announce(const PluginInfo& info) const {
  std::lock_guard<std::mutex> lock(announced_mutex_);
  if (!announced_.insert(info.name).second) return;
  spdlog::info("plugin {} '{}' {} from {}", info.kind, info.name, info.version, info.path);
}

std::shared_ptr<Component> PluginRegistry::create(const std::string& name, const std::string& kind,
                                                  const Config& options) const {
  const PluginInfo& info = find(name, kind);
  Config resolved = validate_options(info, options);
  announce(info);
  size_t index = &info - plugins_.data();
  std::shared_ptr<Library> library = libraries_[index];

  std::shared_ptr<Component> made;
  try {
    auto& factory = library->handle.get<FactoryFn>(JSTIP_FACTORY_SYMBOL);
    factory(&resolved, &made);
  } catch (const std::exception& e) {
    throw PluginError(kind + " plugin '" + name + "' (" + info.path + ") failed to start: " + e.what());
  } catch (...) {
    throw PluginError(kind + " plugin '" + name + "' (" + info.path + ") failed to start with a non-standard exception");
  }
  if (!made) throw PluginError(kind + " plugin '" + name + "' returned no object");
  // The returned pointer owns the object *and* its library: the library is
  // released only after the object (whose code lives in it) is destroyed.
  Component* raw = made.get();
  return std::shared_ptr<Component>(raw, [made = std::move(made), library](Component*) mutable {
    made.reset();
    library.reset();
  });
}

}  // namespace jstip::host
