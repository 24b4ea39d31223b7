"""The reference composition in plain PyTorch, written the way a Python user
would: transformer encoder (conv2d subsampling x4, sinusoidal positions,
pre-norm layers, CTC head), CTC compression, stack_linear projector and a
llama LLM with grouped-query attention and an HF-style KV cache
(`past_key_values`). Shapes, op choices and dropout placement follow the C++
plugins (plugins/encoders/transformer, plugins/projectors/stack_linear,
plugins/llms/llama, host/graph/) so both sides compute the same FLOPs.
"""
import math

import torch
import torch.nn.functional as F
from torch import nn


def lengths_to_mask(lengths, length):
    return torch.arange(length).unsqueeze(0) < lengths.unsqueeze(1)


def zero_padding(x, valid):
    return x.masked_fill(~valid.unsqueeze(-1), 0.0)


def attend(scores, values, allowed, dropout, training):
    # Softmax in float32; a finite fill keeps fully masked rows free of NaN.
    logits = scores.float().masked_fill(~allowed, torch.finfo(torch.float32).min)
    probs = torch.softmax(logits, -1).masked_fill(~allowed, 0.0).to(values.dtype)
    if dropout > 0:
        probs = F.dropout(probs, dropout, training)
    return probs @ values


class MultiHeadAttention(nn.Module):
    def __init__(self, d_model, heads, dropout):
        super().__init__()
        self.heads, self.head_dim, self.dropout = heads, d_model // heads, dropout
        self.q_proj, self.k_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)
        self.v_proj, self.out_proj = nn.Linear(d_model, d_model), nn.Linear(d_model, d_model)

    def split(self, x):
        return x.view(x.size(0), x.size(1), self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x, valid):
        q, k, v = self.split(self.q_proj(x)), self.split(self.k_proj(x)), self.split(self.v_proj(x))
        scores = q @ k.transpose(-2, -1) / math.sqrt(self.head_dim)
        out = attend(scores, v, valid[:, None, None, :], self.dropout, self.training)
        return self.out_proj(out.transpose(1, 2).reshape(x.size(0), x.size(1), -1))


class TransformerLayer(nn.Module):
    def __init__(self, d_model, heads, ffn, dropout):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.self_attn = MultiHeadAttention(d_model, heads, dropout)
        self.feed_forward = nn.Module()
        self.feed_forward.w_1, self.feed_forward.w_2 = nn.Linear(d_model, ffn), nn.Linear(ffn, d_model)
        self.dropout = dropout

    def forward(self, x, valid):
        h = self.norm1(x)
        y = x + F.dropout(self.self_attn(h, valid), self.dropout, self.training)
        ff = self.feed_forward
        ff = ff.w_2(F.dropout(torch.relu(ff.w_1(self.norm2(y))), self.dropout, self.training))
        y = y + F.dropout(ff, self.dropout, self.training)
        return zero_padding(y, valid)


def sinusoidal(length, dim):
    inv_freq = torch.exp(torch.arange(0, dim, 2).float() * (-math.log(10000.0) / dim))
    angles = torch.arange(length).float().unsqueeze(1) * inv_freq.unsqueeze(0)
    table = torch.zeros(length, dim)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)[:, : dim // 2]
    return table


class TransformerEncoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        ch, d = c["sub_channels"], c["d_model"]
        self.embed = nn.Module()  # Conv2dSubsampling4
        self.embed.conv1, self.embed.conv2 = nn.Conv2d(1, ch, 3, 2), nn.Conv2d(ch, ch, 3, 2)
        freq = ((c["input_dim"] - 1) // 2 - 1) // 2
        self.embed.out = nn.Linear(ch * freq, d)
        self.layers = nn.ModuleList(
            TransformerLayer(d, c["enc_heads"], c["ffn_dim"], c["dropout"]) for _ in range(c["enc_layers"]))
        self.after_norm = nn.LayerNorm(d)
        self.ctc_head = nn.Linear(d, c["ctc_vocab"])
        self.d_model, self.dropout = d, c["dropout"]

    def forward(self, feats, lengths):
        x = zero_padding(feats, lengths_to_mask(lengths, feats.size(1)))
        e = self.embed
        x = torch.relu(e.conv2(torch.relu(e.conv1(x.unsqueeze(1)))))
        b, ch, t, f = x.shape
        x = e.out(x.transpose(1, 2).reshape(b, t, ch * f))
        lengths = torch.clamp_min(torch.div(torch.div(lengths - 1, 2, rounding_mode="floor") - 1, 2,
                                            rounding_mode="floor"), 0)
        valid = lengths_to_mask(lengths, t)
        x = x * math.sqrt(self.d_model) + sinusoidal(t, self.d_model).unsqueeze(0)
        x = zero_padding(F.dropout(x, self.dropout, self.training), valid)
        for layer in self.layers:
            x = layer(x, valid)
        hidden = zero_padding(self.after_norm(x), valid)
        return hidden, lengths, self.ctc_head(hidden)


def compress_by_ctc(hidden, lengths, ctc_logits, max_runs):
    """Mean of each run of frames where the CTC head fires (host/graph/ctc_compression.cc).
    `max_runs` pins the padded length to the C++ step's, so both LLMs get the same shapes;
    runs beyond it fold into the last kept one."""
    batch, frames, dim = hidden.shape
    blank = ctc_logits.size(-1) - 1
    valid = lengths_to_mask(lengths, frames)
    logits = ctc_logits.detach()
    best = logits.argmax(-1)
    fired = (best != blank) & valid
    margin = (logits[..., blank] - logits[..., :blank].amax(-1)).masked_fill(~valid, float("inf"))
    silent = ~fired.any(1)
    forced = torch.zeros_like(fired).scatter(1, margin.argmin(1, keepdim=True), silent.unsqueeze(1))
    fired = fired | (forced & valid)
    prev_best = torch.cat([torch.full((batch, 1), -1, dtype=best.dtype), best[:, :-1]], 1)
    prev_fired = torch.cat([torch.zeros(batch, 1, dtype=torch.bool), fired[:, :-1]], 1)
    starts = fired & ~(prev_fired & (prev_best == best))
    runs = starts.long().cumsum(1)
    run_lengths = runs[:, -1].clamp_max(max_runs)
    base = torch.arange(batch).unsqueeze(1) * max_runs
    target = torch.where(fired, base + (runs - 1).clamp(0, max_runs - 1), torch.full_like(runs, batch * max_runs))
    flat = target.reshape(-1)
    sums = torch.zeros(batch * max_runs + 1, dim).index_add(0, flat, hidden.reshape(-1, dim))
    counts = torch.zeros(batch * max_runs + 1).index_add(0, flat, torch.ones(batch * frames))
    means = sums[:-1] / counts[:-1].clamp_min(1).unsqueeze(1)
    return means.view(batch, max_runs, dim), run_lengths


class StackLinear(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.stack = c["proj_stack"]
        self.linear1 = nn.Linear(c["d_model"] * self.stack, c["proj_hidden"])
        self.linear2 = nn.Linear(c["proj_hidden"], c["hidden"])

    def forward(self, hidden, lengths):
        b, t, d = hidden.shape
        groups = (t + self.stack - 1) // self.stack
        x = zero_padding(hidden, lengths_to_mask(lengths, t))
        x = F.pad(x, (0, 0, 0, groups * self.stack - t)).reshape(b, groups, self.stack * d)
        out_lengths = torch.div(lengths + self.stack - 1, self.stack, rounding_mode="floor")
        return zero_padding(self.linear2(torch.relu(self.linear1(x))), lengths_to_mask(out_lengths, groups)), out_lengths


class RMSNorm(nn.Module):
    def __init__(self, dim, eps=1e-6):
        super().__init__()
        self.weight, self.eps = nn.Parameter(torch.ones(dim)), eps

    def forward(self, x):
        x32 = x.float()
        return self.weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + self.eps)).to(x.dtype)


def rotate_half(x):
    half = x.size(-1) // 2
    return torch.cat([-x[..., half:], x[..., :half]], -1)


class LlamaLayer(nn.Module):
    def __init__(self, c):
        super().__init__()
        h, self.heads, self.kv_heads = c["hidden"], c["heads"], c["kv_heads"]
        self.head_dim = h // self.heads
        a = self.self_attn = nn.Module()
        a.q_proj = nn.Linear(h, h, bias=False)
        a.k_proj = nn.Linear(h, self.kv_heads * self.head_dim, bias=False)
        a.v_proj = nn.Linear(h, self.kv_heads * self.head_dim, bias=False)
        a.o_proj = nn.Linear(h, h, bias=False)
        m = self.mlp = nn.Module()
        m.gate_proj = nn.Linear(h, c["intermediate"], bias=False)
        m.up_proj = nn.Linear(h, c["intermediate"], bias=False)
        m.down_proj = nn.Linear(c["intermediate"], h, bias=False)
        self.input_layernorm, self.post_attention_layernorm = RMSNorm(h), RMSNorm(h)

    def forward(self, x, cos, sin, allowed, past):
        b, t, _ = x.shape
        a, m = self.self_attn, self.mlp
        h = self.input_layernorm(x)
        q = a.q_proj(h).view(b, t, self.heads, self.head_dim).transpose(1, 2)
        k = a.k_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        v = a.v_proj(h).view(b, t, self.kv_heads, self.head_dim).transpose(1, 2)
        q, k = q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin
        if past is not None:
            k, v = torch.cat([past[0], k], 2), torch.cat([past[1], v], 2)
        present = (k, v)
        groups = self.heads // self.kv_heads
        keys, values = k.repeat_interleave(groups, 1), v.repeat_interleave(groups, 1)
        scores = q @ keys.transpose(-2, -1) / math.sqrt(self.head_dim)
        out = attend(scores, values, allowed, 0.0, self.training)
        x = x + a.o_proj(out.transpose(1, 2).reshape(b, t, -1))
        h = self.post_attention_layernorm(x)
        return x + m.down_proj(F.silu(m.gate_proj(h)) * m.up_proj(h)), present


class Llama(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.model = nn.Module()  # parameter names as the C++ plugin's (Hugging Face's)
        self.model.embed_tokens = nn.Embedding(c["vocab"], c["hidden"])
        self.model.layers = nn.ModuleList(LlamaLayer(c) for _ in range(c["llm_layers"]))
        self.model.norm = RMSNorm(c["hidden"])
        head_dim = c["hidden"] // c["heads"]
        self.register_buffer("inv_freq", 1.0 / (10000.0 ** (torch.arange(0, head_dim, 2).double() / head_dim)).float(),
                             persistent=False)
        for name, p in self.named_parameters():
            if "layernorm" not in name and name != "model.norm.weight":
                nn.init.normal_(p, 0.0, 0.02)

    @property
    def embed_tokens(self):
        return self.model.embed_tokens

    def forward(self, embeddings, key_mask, positions, past_key_values=None):
        """Returns logits and the new past_key_values (a tuple of (k, v) per layer)."""
        t, total = embeddings.size(1), key_mask.size(1)
        causal = torch.arange(total).unsqueeze(0) <= torch.arange(total - t, total).unsqueeze(1)
        allowed = causal[None, None] & key_mask[:, None, None, :]
        freqs = positions.float().unsqueeze(-1) * self.inv_freq
        angles = torch.cat([freqs, freqs], -1).unsqueeze(1)
        cos, sin = angles.cos(), angles.sin()
        x, presents = embeddings, []
        for i, layer in enumerate(self.model.layers):
            x, present = layer(x, cos, sin, allowed, None if past_key_values is None else past_key_values[i])
            presents.append(present)
        return self.model.norm(x) @ self.model.embed_tokens.weight.t(), tuple(presents)


class SpeechLLM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder, self.projector, self.llm = TransformerEncoder(c), StackLinear(c), Llama(c)


def normalize_per_utterance(features, lengths):
    mask = lengths_to_mask(lengths, features.size(1)).unsqueeze(-1).to(features.dtype)
    count = lengths.clamp_min(1).to(features.dtype).view(-1, 1, 1)
    mean = (features * mask).sum(1, keepdim=True) / count
    centered = (features - mean) * mask
    return centered * torch.rsqrt(centered.square().sum(1, keepdim=True) / count + 1e-5)
