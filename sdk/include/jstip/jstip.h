// Convenience: the whole SDK.
#pragma once

#include "jstip/component.h"
#include "jstip/config.h"
#include "jstip/descriptor.h"
#include "jstip/encoder.h"
#include "jstip/interleaver.h"
#include "jstip/llm.h"
#include "jstip/log.h"
#include "jstip/plan.h"
#include "jstip/plugin.h"
#include "jstip/projector.h"
#include "jstip/synthesizer.h"
