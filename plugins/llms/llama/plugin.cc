// Exports LlamaModel as the `llama` LLM plugin.
#include "jstip/plugin.h"
#include "llama_model.h"

JSTIP_PLUGIN(jstip::llama::LlamaModel, "llm", "llama", "1.0.0",
             "Llama-family decoder (Llama, Qwen2): RMSNorm, RoPE, SwiGLU, GQA, KV cache, HF safetensors",
             jstip::llama::kLlamaOptions)
