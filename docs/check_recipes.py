#!/usr/bin/env python3
"""Checks the recipes of docs/traces.md on tiny random Hugging Face MoE models.

    python3 docs/check_recipes.py path/to/moesim

Needs torch, transformers and safetensors (the moesim test suite does not). For each of
MixtralForCausalLM and Qwen2MoeForCausalLM (random weights, 4 layers, 8 experts, top-2), it runs
the safetensors forward hook and the JSONL route-log hook of docs/traces.md over 3 forward passes
of 2 x 8 tokens, imports both files with `moesim trace import`, and checks the traces' shapes with
`moesim trace stats --format json`. It prints the library versions and exits non-zero on failure.
"""
import json
import os
import subprocess
import sys
import tempfile

import torch
import transformers
from safetensors.torch import save_file

moesim = sys.argv[1] if len(sys.argv) > 1 else ".build/release/moesim"
print(f"torch {torch.__version__}, transformers {transformers.__version__}")
LAYERS, EXPERTS, TOP_K, STEPS, BATCH, SEQ = 4, 8, 2, 3, 2, 8


def tiny(kind):
    common = dict(vocab_size=128, hidden_size=32, intermediate_size=64, num_hidden_layers=LAYERS,
                  num_attention_heads=4, num_key_value_heads=2, num_experts_per_tok=TOP_K)
    if kind == "mixtral":
        config = transformers.MixtralConfig(num_local_experts=EXPERTS, **common)
        return transformers.MixtralForCausalLM(config).eval()
    config = transformers.Qwen2MoeConfig(num_experts=EXPERTS, moe_intermediate_size=32,
                                         shared_expert_intermediate_size=32, **common)
    return transformers.Qwen2MoeForCausalLM(config).eval()


def batches():
    generator = torch.Generator().manual_seed(0)
    return [{"input_ids": torch.randint(0, 128, (BATCH, SEQ), generator=generator)} for _ in range(STEPS)]


def safetensors_recipe(model, path):
    captured = {}

    def hook(name):
        def save(module, inputs, output):
            logits = output[0] if isinstance(output, tuple) else output
            captured.setdefault(name, []).append(logits.detach().reshape(-1, logits.shape[-1]).cpu())
        return save

    gates = {name: m for name, m in model.named_modules() if name.endswith("mlp.gate")}
    handles = [m.register_forward_hook(hook(name)) for name, m in gates.items()]
    with torch.no_grad():
        for batch in batches():
            model(**batch)
    for h in handles:
        h.remove()
    save_file({name: torch.stack(steps).contiguous() for name, steps in captured.items()}, path)


def jsonl_recipe(model, path):
    log = open(path, "w")
    step = [0]

    def hook(layer):
        def save(module, inputs, output):
            logits = output[0] if isinstance(output, tuple) else output
            probs = torch.softmax(logits.detach().reshape(-1, logits.shape[-1]).float(), dim=-1)
            weights, ids = torch.topk(probs, TOP_K, dim=-1)
            for token, (e, w) in enumerate(zip(ids.tolist(), weights.tolist())):
                log.write(json.dumps({"type": "route", "step": step[0], "layer": layer, "token_pos": token,
                                      "topk_ids": e, "topk_weights": w}) + "\n")
        return save

    handles = [m.register_forward_hook(hook(int(name.split(".")[2])))
               for name, m in model.named_modules() if name.endswith("mlp.gate")]
    with torch.no_grad():
        for batch in batches():
            model(**batch)
            step[0] += 1
    for h in handles:
        h.remove()
    log.close()


def check(path, trace, extra, expect_k):
    subprocess.run([moesim, "trace", "import", path, "-o", trace, "--gpus", "2"] + extra, check=True)
    stats = json.loads(subprocess.run([moesim, "trace", "stats", trace, "--format", "json"], check=True,
                                      capture_output=True, text=True).stdout)
    assert len(stats) == LAYERS, stats
    for layer in stats:
        assert layer["experts"] == EXPERTS and layer["tokens"] == STEPS * BATCH * SEQ, layer
        assert layer["k"] == expect_k, layer


failures = 0
with tempfile.TemporaryDirectory() as directory:
    for kind in ["mixtral", "qwen2_moe"]:
        model = tiny(kind)
        for recipe, name, extra, k in [(safetensors_recipe, "router_logits.safetensors", [], 1),
                                       (jsonl_recipe, "route.jsonl", ["--where", "type=route", "--experts", str(EXPERTS)], TOP_K)]:
            path = os.path.join(directory, f"{kind}-{name}")
            try:
                recipe(model, path)
                check(path, path + ".moetrace", extra, k)
                print(f"ok   {kind} {name}")
            except Exception as error:  # report every recipe, then fail
                failures += 1
                print(f"FAIL {kind} {name}: {type(error).__name__}: {error}")
sys.exit(1 if failures else 0)
