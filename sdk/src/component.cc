#include "jstip/component.h"

#include "jstip/options.h"

namespace jstip {

// Defined here, not inline, so Component's vtable and typeinfo live in
// libjstip_sdk and dynamic_cast works across plugin libraries.
Component::~Component() = default;

const char* option_type_name(int32_t type) {
  switch (type) {
    case JSTIP_OPT_INT: return "int";
    case JSTIP_OPT_FLOAT: return "float";
    case JSTIP_OPT_BOOL: return "bool";
    case JSTIP_OPT_STRING: return "string";
    case JSTIP_OPT_INT_LIST: return "int list";
    case JSTIP_OPT_FLOAT_LIST: return "float list";
    case JSTIP_OPT_STRING_LIST: return "string list";
    case JSTIP_OPT_MAP: return "map";
    default: return "unknown";
  }
}

}  // namespace jstip
