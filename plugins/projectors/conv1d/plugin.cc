// Exports Conv1dProjector as the `conv1d` projector plugin.
#include "conv1d_projector.h"
#include "jstip/plugin.h"

JSTIP_PLUGIN(jstip::conv1d::Conv1dProjector, "projector", "conv1d", "1.0.0",
             "strided 1-D convolution projector (down-sampling by stride)", jstip::conv1d::kConv1dOptions)
