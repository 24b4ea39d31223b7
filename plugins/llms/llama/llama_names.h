// Llama-family names: the submodules the decoder core builds (Hugging Face's,
// so parameter names are HF names), and each weight's Hugging Face and GGUF
// name (llama.cpp's LLM_ARCH_LLAMA tensor names). `output.weight` is absent
// from a GGUF with tied embeddings.
#pragma once

#include "decoder/config.h"
#include "jstip/weights/name_table.h"

namespace jstip::llama {

// In decoder::ModuleNames' field order.
inline constexpr decoder::ModuleNames kLlamaModules = {
    "model", "embed_tokens", /*positions=*/"", "layers", "norm",          // the stack
    "input_layernorm", "self_attn", "post_attention_layernorm", "mlp",  // a layer
    /*qkv=*/"", "q_proj", "k_proj", "v_proj", "o_proj",                   // attention
    "gate_proj", "up_proj", "down_proj",                                  // MLP
};

inline constexpr weights::NameRow kLlamaNames[] = {
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
    {"model.layers.{L}.input_layernorm.weight", "blk.{L}.attn_norm.weight"},
    {"model.layers.{L}.self_attn.q_proj.weight", "blk.{L}.attn_q.weight"},
    {"model.layers.{L}.self_attn.k_proj.weight", "blk.{L}.attn_k.weight"},
    {"model.layers.{L}.self_attn.v_proj.weight", "blk.{L}.attn_v.weight"},
    {"model.layers.{L}.self_attn.q_proj.bias", "blk.{L}.attn_q.bias"},
    {"model.layers.{L}.self_attn.k_proj.bias", "blk.{L}.attn_k.bias"},
    {"model.layers.{L}.self_attn.v_proj.bias", "blk.{L}.attn_v.bias"},
    {"model.layers.{L}.self_attn.o_proj.weight", "blk.{L}.attn_output.weight"},
    {"model.layers.{L}.post_attention_layernorm.weight", "blk.{L}.ffn_norm.weight"},
    {"model.layers.{L}.mlp.gate_proj.weight", "blk.{L}.ffn_gate.weight"},
    {"model.layers.{L}.mlp.up_proj.weight", "blk.{L}.ffn_up.weight"},
    {"model.layers.{L}.mlp.down_proj.weight", "blk.{L}.ffn_down.weight"},
};

}  // namespace jstip::llama
