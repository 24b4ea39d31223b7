// Exports StackLinearProjector as the `stack_linear` projector plugin.
#include "jstip/plugin.h"
#include "stack_linear_projector.h"

JSTIP_PLUGIN(jstip::stack_linear::StackLinearProjector, "projector", "stack_linear", "1.0.0",
             "SLAM-ASR projector: stack k frames, Linear-ReLU-Linear", jstip::stack_linear::kStackLinearOptions)
