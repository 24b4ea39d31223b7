// Exports QformerProjector as the `qformer` projector plugin.
#include "jstip/plugin.h"
#include "qformer_projector.h"

JSTIP_PLUGIN(jstip::qformer::QformerProjector, "projector", "qformer", "1.0.0",
             "query-based projector: learned queries cross-attend to the encoder (downsampling 0)",
             jstip::qformer::kQformerOptions)
