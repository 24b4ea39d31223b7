"""Replays the C++ suite's reference training batch (bench/suite/trace_writer.h)
as an eager PyTorch training step: the same encoder input, the same LLM rows
(text token runs and speech slices), the same labels and CTC targets, the
trainer's objective (summed token loss + ctc_weight x summed CTC loss, divided
by the targets), gradient clipping and AdamW.
"""
import json
import os
import struct

import torch
import torch.nn.functional as F
from torch.nn.utils.rnn import pad_sequence

from reference_model import SpeechLLM, compress_by_ctc, normalize_per_utterance


def load_safetensors(path):
    """name -> float32 tensor, from a safetensors file (8-byte header length, JSON header, raw data)."""
    raw = open(path, "rb").read()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    data = bytearray(raw[8 + size:])
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        if entry["dtype"] != "F32":
            raise ValueError(f"{path}: {name} is {entry['dtype']}, only F32 is read here")
        begin, end = entry["data_offsets"]
        out[name] = torch.frombuffer(data[begin:end], dtype=torch.float32).view(*entry["shape"]).clone()
    return out


class ReplayedBatch:
    def __init__(self, trace_dir):
        with open(os.path.join(trace_dir, "layout.json")) as f:
            self.layout = json.load(f)
        lay = self.layout
        self.dims = lay["dims"]
        self.features = None
        if "features_shape" in lay:
            raw = open(os.path.join(trace_dir, "features.f32"), "rb").read()
            self.features = torch.frombuffer(bytearray(raw), dtype=torch.float32).view(*lay["features_shape"])
            self.feature_lengths = torch.tensor(lay["feature_lengths"])
            self.speech_time = lay["speech_time"]
        self.rows = lay["rows"]
        self.labels = pad_sequence([torch.tensor(l) for l in lay["labels"]], batch_first=True, padding_value=-100)
        self.lengths = torch.tensor([len(l) for l in lay["labels"]])
        self.transcripts = lay["transcripts"]


class TrainStep:
    def __init__(self, batch, seed=0):
        torch.manual_seed(seed)
        c = dict(batch.dims)
        self.batch = batch
        self.model = SpeechLLM(c)
        self.model.train()
        self.ctc_weight = batch.layout["ctc_weight"]
        self.clip = batch.layout["grad_clip"]
        self.optimizer = torch.optim.AdamW(self.model.parameters(), lr=batch.layout["lr"],
                                           weight_decay=batch.layout["weight_decay"])

    def splice(self, speech):
        """Each row: its pieces concatenated, then the rows padded (the usual Python way)."""
        embed = self.model.llm.embed_tokens
        rows = []
        for pieces in self.batch.rows:
            parts = []
            for piece in pieces:
                if piece[0] == "text":
                    parts.append(embed(torch.tensor(piece[1])))
                else:
                    _, row, first, last = piece
                    parts.append(speech[row, first:last])
            rows.append(torch.cat(parts, 0))
        embeddings = pad_sequence(rows, batch_first=True)
        length = embeddings.size(1)
        key_mask = torch.arange(length).unsqueeze(0) < self.batch.lengths.unsqueeze(1)
        positions = torch.arange(length).unsqueeze(0).expand(len(rows), length) * key_mask
        return embeddings, key_mask, positions

    def load_weights(self, path):
        self.model.load_state_dict(load_safetensors(path), strict=True)

    def objective(self):
        """(LLM loss sum + ctc_weight x CTC loss sum, target tokens), as the C++ trainer's step."""
        b, m = self.batch, self.model
        speech, ctc_sum = None, None
        if b.features is not None:
            hidden, enc_lengths, ctc_logits = m.encoder(normalize_per_utterance(b.features, b.feature_lengths),
                                                        b.feature_lengths)
            kept, kept_lengths = compress_by_ctc(hidden, enc_lengths, ctc_logits, b.speech_time)
            speech, _ = m.projector(kept, kept_lengths)
            if b.transcripts and self.ctc_weight > 0:
                log_probs = ctc_logits.float().log_softmax(-1).transpose(0, 1)
                targets = torch.tensor([t for ts in b.transcripts for t in ts])
                ctc_sum = F.ctc_loss(log_probs, targets, enc_lengths, torch.tensor([len(t) for t in b.transcripts]),
                                     blank=ctc_logits.size(-1) - 1, reduction="sum", zero_infinity=True)
        embeddings, key_mask, positions = self.splice(speech)
        logits, _ = m.llm(embeddings, key_mask, positions)
        per_token = F.cross_entropy(logits.reshape(-1, logits.size(-1)).float(), b.labels.reshape(-1),
                                    ignore_index=-100, reduction="none")
        objective = per_token.sum()
        if ctc_sum is not None:
            objective = objective + self.ctc_weight * ctc_sum
        return objective, int((b.labels != -100).sum())

    def __call__(self):
        self.optimizer.zero_grad()
        objective, targets = self.objective()
        objective.backward()
        for p in self.model.parameters():
            if p.grad is not None:
                p.grad.div_(max(1, targets))
        torch.nn.utils.clip_grad_norm_([p for p in self.model.parameters() if p.grad is not None], self.clip)
        self.optimizer.step()
        return float(objective) / max(1, targets)
