// Option declarations: the schema a plugin publishes in its descriptor.
// Plain C so the host can read it before trusting any C++ in the plugin.
#pragma once

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Option value types. Lists are YAML sequences of the element type;
// JSTIP_OPT_MAP is a free-form subtree the plugin validates itself.
enum jstip_option_type {
  JSTIP_OPT_INT = 1,
  JSTIP_OPT_FLOAT = 2,
  JSTIP_OPT_BOOL = 3,
  JSTIP_OPT_STRING = 4,
  JSTIP_OPT_INT_LIST = 5,
  JSTIP_OPT_FLOAT_LIST = 6,
  JSTIP_OPT_STRING_LIST = 7,
  JSTIP_OPT_MAP = 8
};

typedef struct jstip_option_desc {
  const char* name;           // key in the slot's YAML map
  int32_t type;               // jstip_option_type
  const char* default_value;  // YAML text of the default; NULL means required
  const char* doc;            // one line
} jstip_option_desc;

#ifdef __cplusplus
}  // extern "C"

namespace jstip {
__attribute__((visibility("default"))) const char* option_type_name(int32_t type);  // "int", "float", ...
}  // namespace jstip
#endif
