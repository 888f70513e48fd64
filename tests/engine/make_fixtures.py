"""Writes the PyTorch reference fixtures that tests/engine/test_cpu_reference.cpp checks the C++ engine against.

Run: PYTHONPATH=<source>/train /usr/bin/python3 tests/engine/make_fixtures.py OUT_DIR

One folder per model variant (every ablation axis of spec/MODEL.md: architecture, encoder layers and
landmark, weighting, off-by-one, residual, fused SWA, single/multi-head retrieval, lmk_norm, QK norm, GQA,
tied embeddings, no window) with config.json, model.safetensors (f32), ids.bin (int32 token ids),
logits.bin (float32 [L, V]) and, for HSA models, trace_ids.bin / trace_w.bin (int32 / float32
[groups, L, h_r, K], -1 = empty slot). The one idea: the weights are drawn in fp32 and saved as such, and the
reference forward runs the very same values in fp64, so the fixture logits are the exact answer for the
engine's inputs and every difference is the engine's own fp32 rounding (or a bug).
Models are tiny (d 32, S 4-8, L 400; one of d 128) so that many chunks compete for few slots and the test stays fast.
"""

import json
import os
import sys

import numpy as np
import torch

from hsa import HSAModel, ModelConfig
from hsa.config import with_overrides
from hsa.safetensors_io import save_file

V, L = 97, 400  # L > W + 256 (the engine's step): the K/V rings wrap and prefills are split


def cfg_dict(**over):
    d = dict(vocab_size=V, hidden_size=32, intermediate_size=48, num_attention_heads=4, num_key_value_heads=2,
             head_dim=8, num_lower_layers=1, num_upper_layers=2, num_upper_groups=2, sliding_window=12,
             rope_theta=10000.0, rms_norm_eps=1e-6,
             hsa=dict(num_kv_heads=2, retrieval_dim=16, single_head_retrieval=False, chunk_size=4, topk=3,
                      encoder=dict(layers=1, landmark="cls")))
    return with_overrides(d, over)


VARIANTS = {
    "default": {},
    "enc0_meanpool": dict(hsa=dict(encoder=dict(layers=0, landmark="mean"))),
    "enc2_cls": dict(hsa=dict(encoder=dict(layers=2))),
    "enc1_mean": dict(hsa=dict(encoder=dict(landmark="mean"))),
    "enc2_mean_small": dict(hsa=dict(encoder=dict(layers=2, landmark="mean", heads=2, kv_heads=1,
                                                  intermediate_size=24))),
    "softmax": dict(hsa=dict(weighting="softmax")),
    "off_by_one": dict(hsa=dict(softmax_off_by_one=True)),
    "standard_residual": dict(hsa=dict(residual="standard")),
    "fused_swa": dict(hsa=dict(fused_swa=True)),
    "single_head_retrieval": dict(hsa=dict(single_head_retrieval=True)),
    "lmk_norm": dict(hsa=dict(lmk_norm=True, retrieval_dim=24)),
    "no_qk_norm": dict(qk_norm=False, hsa=dict(qk_norm=False)),
    "gqa_1kv": dict(num_key_value_heads=1, hsa=dict(num_kv_heads=1, retrieval_dim=8)),
    "mha_4kv_combo": dict(num_key_value_heads=4, hsa=dict(num_kv_heads=4, retrieval_dim=16, fused_swa=True,
                                                          weighting="softmax", residual="standard",
                                                          softmax_off_by_one=True)),
    "s8_k4_3groups": dict(num_lower_layers=2, num_upper_layers=3, num_upper_groups=3, sliding_window=20,
                          hsa=dict(chunk_size=8, topk=4, single_head_retrieval=True, lmk_norm=True)),
    "full_attn_tied": dict(sliding_window=None, tie_word_embeddings=True),
    "swa": dict(architecture="swa"),
    "swa_window0_tied": dict(architecture="swa", sliding_window=0, tie_word_embeddings=True),
    "transformer": dict(architecture="transformer"),
    # Large enough that the CPU backend's OpenMP paths run in parallel (they stay serial for tiny work).
    "medium_parallel": dict(vocab_size=512, hidden_size=128, intermediate_size=384, head_dim=32,
                            sliding_window=48, hsa=dict(chunk_size=16, topk=4, retrieval_dim=64)),
}


def randomize(model, seed, std):
    """init_weights plus noise: norms away from 1, biases away from 0, projections large enough that
    retrieval scores spread and softmaxes are far from uniform."""
    model.init_weights(seed)
    g = torch.Generator().manual_seed(seed + 1000)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=torch.float32)
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * r)
            elif name.endswith(".bias"):
                p.copy_(0.2 * r)
            else:
                p.add_(std * r)


def main(out_dir):
    torch.set_num_threads(1)
    os.makedirs(out_dir, exist_ok=True)
    for i, (name, over) in enumerate(VARIANTS.items()):
        d = cfg_dict(**json.loads(json.dumps(over)))
        cfg = ModelConfig.from_dict(d, source=name)
        model = HSAModel(cfg)
        randomize(model, seed=10 + i, std=0.85 / cfg.hidden_size ** 0.5)
        folder = os.path.join(out_dir, name)
        os.makedirs(folder, exist_ok=True)
        cfg.to_json(os.path.join(folder, "config.json"))
        save_file({k: v.detach().float().contiguous() for k, v in model.state_dict().items()},
                  os.path.join(folder, "model.safetensors"), metadata={"format": "hsa"})
        g = torch.Generator().manual_seed(100 + i)
        ids = torch.randint(0, cfg.vocab_size, (1, L), generator=g)
        ids[0, L // 2:L // 2 + 20] = ids[0, 10:30]  # a repeat, so that retrieval has something to find
        model = model.double().eval()
        with torch.no_grad():
            logits, trace = model(ids, return_trace=True)
        ids.to(torch.int32).numpy().tofile(os.path.join(folder, "ids.bin"))
        logits[0].to(torch.float32).numpy().tofile(os.path.join(folder, "logits.bin"))
        if trace:
            np.stack([t["ids"][0].to(torch.int32).numpy() for t in trace]).tofile(os.path.join(folder, "trace_ids.bin"))
            np.stack([t["weights"][0].to(torch.float32).numpy() for t in trace]).tofile(
                os.path.join(folder, "trace_w.bin"))
    with open(os.path.join(out_dir, "variants.txt"), "w") as fh:
        fh.write("\n".join(VARIANTS) + "\n")


def perf_model(out_dir, config_path):
    """A randomly initialized model of the given config (for the prefill benchmark, no reference logits)."""
    cfg = ModelConfig.from_json(config_path)
    model = HSAModel(cfg).init_weights(0)
    os.makedirs(out_dir, exist_ok=True)
    cfg.to_json(os.path.join(out_dir, "config.json"))
    save_file({k: v.detach().float().contiguous() for k, v in model.state_dict().items()},
              os.path.join(out_dir, "model.safetensors"))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--perf":
        perf_model(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 2:
        main(sys.argv[1])
    else:
        sys.exit("usage: make_fixtures.py OUT_DIR | make_fixtures.py --perf OUT_DIR CONFIG_JSON")
