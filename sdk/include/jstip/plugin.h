// What a plugin's source file includes to export itself:
//
//   static const jstip_option_desc kOptions[] = {
//       {"d_model", JSTIP_OPT_INT, "256", "width of the encoder"},
//   };
//   JSTIP_PLUGIN(MyEncoder, "encoder", "my_encoder", "1.0.0", "one-line summary", kOptions)
//
// MyEncoder must derive from the kind's interface and have a constructor
// taking `const jstip::Config&` (defaults from kOptions already filled in).
#pragma once

#include <boost/config.hpp>  // BOOST_SYMBOL_EXPORT, as Boost.DLL expects
#include <torch/version.h>

#include <memory>

#include "jstip/component.h"
#include "jstip/config.h"
#include "jstip/descriptor.h"
#include "jstip/sdk_version.h"

#define JSTIP_STRINGIFY_(x) #x
#define JSTIP_STRINGIFY(x) JSTIP_STRINGIFY_(x)

#if defined(__clang__)
#define JSTIP_COMPILER_ID "Clang " JSTIP_STRINGIFY(__clang_major__)
#elif defined(__GNUC__)
#define JSTIP_COMPILER_ID "GNU " JSTIP_STRINGIFY(__GNUC__)
#else
#define JSTIP_COMPILER_ID "unknown"
#endif

#ifndef _GLIBCXX_USE_CXX11_ABI
#define JSTIP_CXX11_ABI 0
#else
#define JSTIP_CXX11_ABI _GLIBCXX_USE_CXX11_ABI
#endif

// Fills a descriptor with this build's identity; plugin-specific fields follow.
#define JSTIP_DESCRIPTOR_BUILD_FIELDS                                                    \
  sizeof(jstip_descriptor), JSTIP_SDK_API_VERSION, JSTIP_SDK_INTERFACE_HASH, \
      TORCH_VERSION, JSTIP_CXX11_ABI, JSTIP_COMPILER_ID

#define JSTIP_PLUGIN(CLASS, KIND, NAME, VERSION, SUMMARY, OPTIONS)                        \
  extern "C" BOOST_SYMBOL_EXPORT const jstip_descriptor jstip_plugin_descriptor;  \
  const jstip_descriptor jstip_plugin_descriptor = {                              \
      JSTIP_DESCRIPTOR_BUILD_FIELDS, NAME, KIND, VERSION, SUMMARY, OPTIONS,              \
      static_cast<uint32_t>(sizeof(OPTIONS) / sizeof(OPTIONS[0]))};                      \
  extern "C" BOOST_SYMBOL_EXPORT void jstip_plugin_create(                               \
      const jstip::Config* config, std::shared_ptr<jstip::Component>* out) {            \
    *out = std::make_shared<CLASS>(*config);                                             \
  }
