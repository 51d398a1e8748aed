#!/usr/bin/env python3
"""Writes large inputs of every format `moesim trace import` reads, for `moesim bench import`:

    python3 Tests/Fixtures/traces/make_bench_inputs.py DIR [MB]

MB (default 256) is the rough size of each file. Router logits are seeded Gaussian f32 values
for 64 experts (what real logits look like to a compressor: DEFLATE saves ~7%); ids are top-2
of Zipf-skewed noise (they compress well). Needs NumPy only (safetensors written by hand).
"""
import json
import os
import struct
import sys

import numpy as np

directory = sys.argv[1]
megabytes = int(sys.argv[2]) if len(sys.argv) > 2 else 256
os.makedirs(directory, exist_ok=True)
rng = np.random.default_rng(1)
experts = 64
tokens = megabytes * 2**20 // (experts * 4)
logits = rng.normal(size=(tokens, experts)).astype(np.float32)
np.savez(os.path.join(directory, "scores_stored.npz"), scores=logits)
np.savez_compressed(os.path.join(directory, "scores_compressed.npz"), scores=logits)

ids_tokens = megabytes * 2**20 // 24
popularity = np.log(1 / np.arange(1, experts + 1))
ids = np.empty((ids_tokens, 2), np.int64)
for start in range(0, ids_tokens, 1 << 20):
    block = rng.gumbel(size=(min(1 << 20, ids_tokens - start), experts)) + popularity
    ids[start:start + len(block)] = np.argsort(block, axis=1)[:, -2:][:, ::-1]
np.savez_compressed(os.path.join(directory, "choices_compressed.npz"), experts=ids,
                    weights=np.full(ids.shape, 0.5, np.float32))

# safetensors: BF16 logits of 16 layers, as a forward hook on model.layers.N.mlp.gate saves them.
layers = 16
per_layer = tokens * 2 // layers
header, offset = {"__metadata__": {"format": "pt"}}, 0
for layer in range(layers):
    header[f"model.layers.{layer}.mlp.gate"] = {"dtype": "BF16", "shape": [per_layer, experts],
                                                 "data_offsets": [offset, offset + per_layer * experts * 2]}
    offset += per_layer * experts * 2
text = json.dumps(header).encode()
text += b" " * (-len(text) % 8)
with open(os.path.join(directory, "router.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text)
    for layer in range(layers):
        bits = (rng.normal(size=(per_layer, experts)).astype(np.float32).view(np.uint32) >> 16).astype("<u2")
        f.write(bits.tobytes())

# JSONL: one line per (layer, token) in the Mixtral-log style, 32 layers per token.
with open(os.path.join(directory, "route.jsonl"), "w") as f:
    written, token = 0, 0
    while written < megabytes * 2**20:
        lines = []
        for layer in range(32):
            a, b = ids[(token * 32 + layer) % ids_tokens]
            p = 0.5 + (token * 7 + layer) % 50 / 100
            lines.append(f'{{"layer": {layer}, "token_pos": {token}, "experts": [{a}, {b}], '
                         f'"gating_probs": [{p:.4f}, {1 - p:.4f}]}}\n')
        chunk = "".join(lines)
        f.write(chunk)
        written += len(chunk)
        token += 1
