// Exports Gpt2Model as the `gpt2` LLM plugin.
#include "gpt2_model.h"
#include "jstip/plugin.h"

JSTIP_PLUGIN(jstip::gpt2::Gpt2Model, "llm", "gpt2", "1.0.0",
             "GPT-2 decoder: learned positions, LayerNorm, GELU, KV cache, HF safetensors (Conv1D transposed)",
             jstip::gpt2::kGpt2Options)
