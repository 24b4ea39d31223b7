// GPT-2 names: the submodules the decoder core builds (Hugging Face's
// GPT2LMHeadModel, so parameter names are HF names with the "transformer."
// prefix), and the weights HF keeps in its Conv1D layout [in, out] (ours are
// [out, in], so import and export transpose them).
#pragma once

#include "decoder/config.h"

namespace jstip::gpt2 {

// In decoder::ModuleNames' field order.
inline constexpr decoder::ModuleNames kGpt2Modules = {
    "transformer", "wte", "wpe", "h", "ln_f",          // the stack
    "ln_1", "attn", "ln_2", "mlp",                     // a layer
    "c_attn", /*q=*/"", /*k=*/"", /*v=*/"", "c_proj",  // attention: q, k, v fused
    /*gate=*/"", "c_fc", "c_proj",                     // MLP
};

// Name endings of the Conv1D weights.
inline constexpr const char* kConv1dWeights[] = {"attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight",
                                                 "mlp.c_proj.weight"};

}  // namespace jstip::gpt2
