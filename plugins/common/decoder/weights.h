// The one loader path of the decoder families: stored tensors (any
// weights::TensorSource: a Hugging Face folder, a safetensors or a GGUF file)
// become parameters through a family's renaming and layout fixes; and the
// Hugging Face export (config.json + model.safetensors).
#pragma once

#include <functional>
#include <string>

#include "decoder/decoder_model.h"
#include "jstip/json.h"
#include "jstip/weights/tensor_source.h"

namespace jstip::decoder {

struct WeightMapping {
  // The parameter name of a stored tensor, or "" to pass over one that carries
  // no weights (HF's rotary inv_freq, GPT-2's old mask buffers). May throw for
  // a tensor that has no place in the family; empty: names are kept.
  std::function<std::string(const std::string& stored_name)> parameter_name;
  // Turns a tensor read for parameter `name` into the parameter's layout (GGUF's
  // permuted Q/K rows, GPT-2's [in, out] Conv1D weights); empty: kept as read.
  std::function<torch::Tensor(const std::string& name, torch::Tensor tensor)> to_parameter;
};

// Reads every tensor of `source` (in the model's dtype) into `model`. With tied
// embeddings a stored lm_head.weight is passed over. Errors name the source and
// the tensor: a parameter with no tensor, a shape mismatch, a tensor the model
// does not use.
void load_weights(DecoderModel& model, const weights::TensorSource& source, const WeightMapping& mapping);

// Writes `directory`/model.safetensors (sharded above transformers' default 5 GB)
// and config.json. `to_stored` turns a parameter into the file's layout (empty: as is).
void save_weights(DecoderModel& model, const std::string& directory, const Json& config_json,
                  const std::function<torch::Tensor(const std::string& name, torch::Tensor tensor)>& to_stored = {});

}  // namespace jstip::decoder
