// results.json of `jstip compare`: the same figures as results.md, for
// scripts (rates as fractions 0..1, not percent; absent figures are null).
#pragma once

#include "host/compare/comparison.h"
#include "jstip/json.h"

namespace jstip::compare {

Json results_json(const Comparison& comparison);

}  // namespace jstip::compare
