#!/usr/bin/env python3
"""Writes the NumPy fixtures that the trace import tests read (run from this directory).

Values follow simple formulas that the Swift tests recompute, so no value is copied by hand:
  scores[i] = (i % 17) * 0.25 - 2     (flat C-order index i)
  experts[t, j] = (3 * t + j) % E     (distinct within a token for k <= 3 and E = 8)
  weights[t, j] = 1 / (j + 2)
"""
import zlib

import numpy as np


def scores(shape, dtype):
    count = int(np.prod(shape))
    return ((np.arange(count) % 17) * 0.25 - 2).astype(dtype).reshape(shape)


def choices(shape, experts):
    *lead, k = shape
    tokens = int(np.prod(lead))
    ids = np.array([[(3 * t + j) % experts for j in range(k)] for t in range(tokens)])
    weights = np.array([[1 / (j + 2) for j in range(k)] for _ in range(tokens)])
    return ids.reshape(shape), weights.reshape(shape)


np.save("scores_f32_tokens_experts.npy", scores((6, 4), np.float32))
np.save("scores_f16_layers_tokens_experts.npy", scores((2, 4, 8), np.float16))
with open("scores_f64_steps_layers_tokens_experts_v2.npy", "wb") as f:
    np.lib.format.write_array(f, scores((2, 1, 4, 4), np.float64), version=(2, 0))
with open("scores_f32_v3.npy", "wb") as f:
    np.lib.format.write_array(f, scores((4, 4), np.float32), version=(3, 0))

ids, weights = choices((4, 2), 8)
np.save("experts_i64_tokens_k.npy", ids.astype(np.int64))
np.save("weights_f32_tokens_k.npy", weights.astype(np.float32))
ids3, weights3 = choices((2, 4, 2), 8)
np.savez("choices_layers_tokens_k.npz", experts=ids3.astype(np.int32), weights=weights3.astype(np.float32))
np.savez("scores.npz", scores=scores((4, 8), np.float32))

# Broken inputs: a header that is not a dict, a big-endian array, a Fortran-order array, NaN.
with open("malformed_header.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + (14).to_bytes(2, "little") + b"not a header\n" + b"\x00" * 16)
np.save("big_endian.npy", scores((4, 4), ">f4"))
np.save("fortran_order.npy", np.asfortranarray(scores((4, 4), np.float32)))
nan = scores((4, 4), np.float32)
nan[2, 1] = np.nan
np.save("nan_score.npy", nan)

# The checksum zlib computes for one fixture, which the Swift CRC-32 must reproduce.
with open("scores_f32_tokens_experts.npy", "rb") as f:
    crc = zlib.crc32(f.read())
with open("scores_f32_tokens_experts.npy.crc32", "w") as f:
    f.write(f"{crc}\n")

# Compressed archives (numpy.savez_compressed: DEFLATE members) with the same formulas.
np.savez_compressed("scores_compressed.npz", scores=scores((3, 64, 8), np.float32))
np.savez_compressed("choices_compressed.npz", experts=ids3.astype(np.int64), weights=weights3.astype(np.float32))

# Raw DEFLATE streams made by zlib (wbits=-15: no zlib header), which Inflate must decode to
# deflate_text(n): the lines "token {i % 97} expert {i * 31 % 64}" for i in 0..<n.
def deflate_text(lines):
    return "".join(f"token {i % 97} expert {i * 31 % 64}\n" for i in range(lines)).encode()


def raw_deflate(data, level=6, strategy=zlib.Z_DEFAULT_STRATEGY):
    compressor = zlib.compressobj(level, zlib.DEFLATED, -15, 9, strategy)
    return compressor.compress(data) + compressor.flush()


streams = {
    "deflate_stored.bin": raw_deflate(deflate_text(4000), level=0),            # 2 stored blocks (75 KB)
    "deflate_fixed.bin": raw_deflate(deflate_text(3000), strategy=zlib.Z_FIXED),  # fixed Huffman codes
    "deflate_dynamic.bin": raw_deflate(deflate_text(16000), level=9),          # dynamic blocks, 300 KB out
    "deflate_empty.bin": raw_deflate(b""),                                     # an empty stream
}
for name, stream in streams.items():
    with open(name, "wb") as f:
        f.write(stream)
