// Exports ConformerEncoder as the `conformer` encoder plugin.
#include "conformer_encoder.h"
#include "jstip/plugin.h"

JSTIP_PLUGIN(jstip::conformer::ConformerEncoder, "encoder", "conformer", "1.0.0",
             "Conformer speech encoder: conv2d subsampling x4, rel-pos attention, conv module, macaron FFN, CTC head",
             jstip::conformer::kConformerOptions)
