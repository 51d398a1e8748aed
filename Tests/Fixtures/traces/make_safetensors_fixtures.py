#!/usr/bin/env python3
"""Writes the safetensors fixtures the import tests read (run from this directory).

The format is written by hand (8-byte little-endian header length, JSON header padded with
spaces to a multiple of 8, raw little-endian tensors), so neither torch nor the safetensors
package is needed. Values follow formulas the Swift tests recompute:
  bf16_bits(i) = i * 40503 % 65536, with bit 14 flipped when that pattern is NaN or infinite
  scores[i]    = (i % 17) * 0.25 - 2       (flat C-order index i)
  experts[t, j] = (3 * t + j) % 8, weights[t, j] = 1 / (j + 2)
"""
import json
import struct

import numpy as np


def bf16_bits(count, start=0):
    bits = (np.arange(start, start + count, dtype=np.int64) * 40503 % 65536).astype(np.uint16)
    nonfinite = (bits >> 7) & 0xFF == 0xFF
    bits[nonfinite] ^= 0x4000
    return bits


def scores(shape, dtype):
    count = int(np.prod(shape))
    return ((np.arange(count) % 17) * 0.25 - 2).astype(dtype).reshape(shape)


def write(path, tensors, metadata=None):
    """tensors: list of (name, dtype name, shape, raw little-endian bytes)."""
    header = {"__metadata__": metadata} if metadata else {}
    offset = 0
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(raw for *_, raw in tensors))


# Per-layer BF16 router logits as a forward hook on model.layers.N.mlp.gate saves them, layers
# 1, 3 and 10 (sorted by number, not by name), next to a tensor that is not a router's.
layers = [1, 3, 10]
write("router_bf16_layers.safetensors",
      [("model.embed_tokens.weight", "F32", (2, 2), np.ones((2, 2), "<f4").tobytes())]
      + [(f"model.layers.{n}.mlp.gate", "BF16", (6, 8), bf16_bits(48, 48 * i).astype("<u2").tobytes())
         for i, n in enumerate(layers)],
      metadata={"format": "pt"})

# One F16 tensor of router logits [layers, tokens, experts] and an F32 one [tokens, experts].
write("router_logits_f16.safetensors", [("router_logits", "F16", (2, 4, 8), scores((2, 4, 8), "<f2").tobytes())])
write("scores_f32.safetensors", [("scores", "F32", (4, 8), scores((4, 8), "<f4").tobytes()),
                                 ("unused", "F64", (1,), np.zeros(1, "<f8").tobytes())])

# Recorded choices: I64 ids and F32 weights [layers, tokens, k].
ids = np.array([[(3 * t + j) % 8 for j in range(2)] for t in range(8)]).reshape(2, 4, 2)
weights = np.array([[1 / (j + 2) for j in range(2)] for _ in range(8)]).reshape(2, 4, 2)
write("choices_i64.safetensors", [("topk_ids", "I64", (2, 4, 2), ids.astype("<i8").tobytes()),
                                  ("topk_weights", "F32", (2, 4, 2), weights.astype("<f4").tobytes())])

# Broken: data shorter than the shape says, and an unsupported dtype.
write("short_tensor.safetensors", [("scores", "F32", (4, 8), scores((4, 7), "<f4").tobytes())])
write("int8_tensor.safetensors", [("scores", "I8", (4, 8), np.zeros((4, 8), "i1").tobytes())])
