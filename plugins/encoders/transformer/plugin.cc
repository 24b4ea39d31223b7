// Exports TransformerEncoder as the `transformer` encoder plugin.
#include "jstip/plugin.h"
#include "transformer_encoder.h"

JSTIP_PLUGIN(jstip::transformer::TransformerEncoder, "encoder", "transformer", "1.0.0",
             "Transformer speech encoder: conv2d subsampling x4, sinusoidal positions, optional CTC head",
             jstip::transformer::kTransformerOptions)
