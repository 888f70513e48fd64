"""Tests of the PyTorch reference model (train/hsa) against the rules of spec/MODEL.md.

Run: PYTHONPATH=train /usr/bin/python3 -m pytest -q tests/python

Every test asserts a property the spec states: causality, which chunks a token may see, tie-breaking and
order of the selection, the weighting formulas, the bypass/standard wiring, streaming == full forward, that
gradients reach the landmark path, strict config parsing and fp64 RoPE angles. Models are tiny (d 32, S 4,
K 3, L 40, so every token from t = 12 on chooses among more chunks than it can take) and run in fp64 on the
CPU, where two correct implementations agree to ~1e-13; the tolerances below are far above that and far
below any real bug. Weights are drawn larger than init_weights' N(0, 0.02) (and norms/biases away from 1/0)
so that the scores differ, the selections are non-trivial and every parameter matters.
"""

import copy
import json
import math

import pytest
import torch

from hsa import HSAModel, ModelConfig, StreamingSession, rope_cos_sin, select_chunks, slot_weights
from hsa.model import apply_rope, attend, window_mask
from hsa.config import with_overrides

torch.set_num_threads(1)

V, S, K, L = 97, 4, 3, 40


def cfg_dict(**over):
    """Small config as a config.json dict; `hsa` / `encoder` overrides are merged into the nested objects."""
    d = dict(vocab_size=V, hidden_size=32, intermediate_size=48, num_attention_heads=4, num_key_value_heads=2,
             head_dim=8, num_lower_layers=1, num_upper_layers=2, num_upper_groups=2, sliding_window=6,
             hsa=dict(num_kv_heads=2, retrieval_dim=16, single_head_retrieval=False, chunk_size=S, topk=K,
                      encoder=dict(layers=1, landmark="cls")))
    return with_overrides(d, over)


VARIANTS = {
    "default": {},
    "enc0": dict(hsa=dict(encoder=dict(layers=0, landmark="mean"))),
    "enc2_cls": dict(hsa=dict(encoder=dict(layers=2))),
    "enc1_mean": dict(hsa=dict(encoder=dict(landmark="mean"))),
    "enc2_mean_small": dict(hsa=dict(encoder=dict(layers=2, landmark="mean", heads=2, kv_heads=1,
                                                  intermediate_size=24))),
    "softmax": dict(hsa=dict(weighting="softmax")),
    "off_by_one": dict(hsa=dict(softmax_off_by_one=True)),
    "standard": dict(hsa=dict(residual="standard")),
    "fused_swa": dict(hsa=dict(fused_swa=True)),
    "single_head": dict(hsa=dict(single_head_retrieval=True)),
    "lmk_norm": dict(hsa=dict(lmk_norm=True)),
    "no_qk_norm": dict(qk_norm=False, hsa=dict(qk_norm=False)),
    "gqa_1kv": dict(num_key_value_heads=1, hsa=dict(num_kv_heads=1, retrieval_dim=8)),
    "mha_4kv": dict(num_key_value_heads=4, hsa=dict(num_kv_heads=4, retrieval_dim=16, fused_swa=True,
                                                     weighting="softmax", residual="standard")),
    "full_attn_tied": dict(sliding_window=None, tie_word_embeddings=True),
    "swa": dict(architecture="swa"),
    "transformer": dict(architecture="transformer"),
}
HSA_VARIANTS = [k for k in VARIANTS if k not in ("swa", "transformer")]


def randomize(model, seed=0, std=0.3):
    """Weights large enough that scores, selections and softmaxes are far from uniform."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_parameters():
            r = torch.randn(p.shape, generator=g, dtype=torch.float64)
            if name.endswith("norm.weight"):
                p.copy_(1.0 + 0.2 * r)
            elif name.endswith(".bias"):
                p.copy_(0.2 * r)
            else:
                p.copy_(std * r)
    return model


def make_model(variant="default", dtype=torch.float64, seed=0, **over):
    d = cfg_dict(**copy.deepcopy(VARIANTS[variant]))
    for k, v in over.items():
        d[k] = v
    m = HSAModel(ModelConfig.from_dict(d)).init_weights(seed).to(dtype)
    return randomize(m, seed).eval()


def tokens(seed=1, B=2, n=L):
    return torch.randint(0, V, (B, n), generator=torch.Generator().manual_seed(seed))


# ------------------------------------------------------------------------------------------------------------
# Causality, visibility, selection order
# ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", list(VARIANTS))
def test_causal(variant):
    m = make_model(variant)
    ids = tokens()
    ref = m(ids)
    for t in (5, 18, 33):
        ids2 = ids.clone()
        ids2[:, t] = (ids2[:, t] + 1) % V
        out = m(ids2)
        assert torch.equal(out[:, :t], ref[:, :t]), f"logits before {t} changed"
        assert (out[:, t] - ref[:, t]).abs().max() > 1e-6, "the changed token itself must matter"


def test_sliding_window_sees_exactly_w_plus_1_keys():
    W = 6
    allowed = window_mask(torch.arange(20), torch.arange(20), W)
    assert allowed.sum(1).tolist() == [min(t, W) + 1 for t in range(20)]
    # One SWA layer: token t sees t-W (changes its logits) but not t-W-1.
    m = make_model("swa", num_lower_layers=1, num_upper_layers=0)
    ids = tokens()
    ref = m(ids)
    t = 20
    for src, should_change in ((t - W, True), (t - W - 1, False)):
        ids2 = ids.clone()
        ids2[:, src] = (ids2[:, src] + 1) % V
        changed = (m(ids2)[:, t] - ref[:, t]).abs().max() > 1e-9
        assert bool(changed) == should_change, (src, should_change)


@pytest.mark.parametrize("variant", ["default", "single_head", "softmax", "fused_swa"])
def test_visibility_and_order(variant):
    m = make_model(variant)
    _, trace = m(tokens(), return_trace=True)
    assert len(trace) == m.cfg.num_upper_groups
    for tr in trace:
        ids, w = tr["ids"], tr["weights"]
        B, Lq, hr, k = ids.shape
        assert hr == (1 if variant == "single_head" else 2) and k == K
        for t in range(Lq):
            sel = ids[:, t]
            n_vis = t // S
            assert ((sel >= 0).sum(-1) == min(K, n_vis)).all(), f"t={t}: wrong number of filled slots"
            assert ((sel + 1) * S <= t)[sel >= 0].all(), f"t={t}: an incomplete chunk was selected"
            assert (w[:, t][sel < 0] == 0).all(), "empty slots must have weight 0"
            filled = sel[..., :min(K, n_vis)]
            assert (filled[..., 1:] < filled[..., :-1]).all(), "selected ids must be most recent first"


def test_hsa_output_is_zero_before_first_chunk():
    m = make_model("standard")
    seen = []
    m.upper[0].hsa.o_proj.register_forward_hook(lambda mod, inp, out: seen.append((inp[0], out)))
    m(tokens())
    O, o = seen[0]
    assert (O[:, :S] == 0).all() and (o[:, :S] == 0).all()
    assert (O[:, S:].abs().sum(-1) > 0).all(), "from t = S on chunk 0 is visible"
    # A sequence with no complete chunk at all runs and equals the first tokens of a longer one.
    assert torch.allclose(m(tokens()[:, :S]), m(tokens())[:, :S], atol=1e-12, rtol=0)


def test_topk_ties_go_to_larger_chunk_index():
    scores = torch.tensor([0.1, 0.5, 0.5, 0.2, 0.5, 0.9], dtype=torch.float64).view(1, 1, 1, 6)
    ids, s = select_chunks(scores, torch.tensor([6 * S]), S, 3)
    assert ids.flatten().tolist() == [5, 4, 2]           # 0.9, then the two most recent of the 0.5s
    assert s.flatten().tolist() == [0.9, 0.5, 0.5]
    # Position limits visibility: at t = 3S only chunks 0..2 exist.
    ids, _ = select_chunks(scores, torch.tensor([3 * S]), S, 3)
    assert ids.flatten().tolist() == [2, 1, 0]
    ids, _ = select_chunks(scores, torch.tensor([2 * S + 1]), S, 3)
    assert ids.flatten().tolist() == [1, 0, -1]


def test_all_equal_scores_select_the_most_recent_chunks():
    m = make_model("default")
    for grp in m.upper:
        torch.nn.init.zeros_(grp.retrieval.q_proj.weight)   # every score exactly 0: all ties
    ids_in = tokens()
    logits, trace = m(ids_in, return_trace=True)
    for t in range(L):
        n = t // S
        expect = [n - 1 - k if k < n else -1 for k in range(K)]
        assert trace[0]["ids"][0, t, 0].tolist() == expect
        # stick-breaking with s = 0: 1/2, 1/4, 1/8
        w = trace[0]["weights"][0, t, 0].tolist()
        assert w == pytest.approx([0.5 ** (k + 1) if k < n else 0.0 for k in range(K)], abs=1e-12)
    assert torch.allclose(StreamingSession(m).run(ids_in, 5), logits, atol=1e-10, rtol=0)


# ------------------------------------------------------------------------------------------------------------
# Weighting
# ------------------------------------------------------------------------------------------------------------

def test_stick_breaking_formula_and_bounds():
    g = torch.Generator().manual_seed(3)
    s = torch.randn(500, 8, generator=g, dtype=torch.float64) * 6
    s[0] = torch.tensor([60.0, -60, 30, 0, -1, 2, 80, -80])      # saturated values stay finite
    valid = torch.rand(500, 8, generator=g) < 0.8
    valid = torch.cumprod(valid.long(), -1).bool()                  # empty slots are always the last
    w = slot_weights(s, valid, "stick_breaking")
    sig = torch.sigmoid(s)
    ref = torch.stack([sig[:, k] * torch.prod(1 - sig[:, :k], -1) for k in range(8)], -1) * valid
    assert torch.isfinite(w).all()
    assert torch.allclose(w, ref, atol=1e-12, rtol=1e-9)
    assert (w >= 0).all() and (w <= 1).all() and (w.sum(-1) <= 1 + 1e-12).all()
    assert (w[~valid] == 0).all()
    # Computed in fp32 even for half inputs.
    assert slot_weights(s.to(torch.bfloat16), valid, "stick_breaking").dtype == torch.float32


def test_softmax_weights_over_nonempty_slots():
    g = torch.Generator().manual_seed(4)
    s = torch.randn(200, 5, generator=g, dtype=torch.float64) * 4
    n = torch.randint(0, 6, (200, 1), generator=g)
    valid = torch.arange(5)[None, :] < n
    w = slot_weights(s, valid, "softmax")
    assert torch.isfinite(w).all() and (w[~valid] == 0).all()
    sums = w.sum(-1)
    assert torch.allclose(sums[n[:, 0] > 0], torch.ones(1, dtype=torch.float64), atol=1e-12)
    assert (sums[n[:, 0] == 0] == 0).all()
    i = int(torch.nonzero(n[:, 0] == 3)[0])
    assert torch.allclose(w[i, :3], torch.softmax(s[i, :3], 0), atol=1e-14)


@pytest.mark.parametrize("variant", ["default", "softmax"])
def test_model_weights_properties(variant):
    m = make_model(variant)
    _, trace = m(tokens(), return_trace=True)
    for tr in trace:
        w, filled = tr["weights"], tr["ids"] >= 0
        assert (w >= 0).all() and (w <= 1).all()
        sums = w.sum(-1)
        if variant == "softmax":
            assert torch.allclose(sums[filled.any(-1)], torch.ones(1, dtype=w.dtype), atol=1e-12)
        else:
            assert (sums <= 1 + 1e-12).all()


# ------------------------------------------------------------------------------------------------------------
# HSA block wiring
# ------------------------------------------------------------------------------------------------------------

def _capture_block(m, g=0):
    """Run the model and return (block input, o, block output) of the HSA block of group g."""
    got = {}
    blk = m.upper[g].hsa
    h1 = blk.register_forward_hook(lambda mod, inp, out: got.update(x=inp[0], out=out))
    h2 = blk.o_proj.register_forward_hook(lambda mod, inp, out: got.update(o=out))
    m(tokens())
    h1.remove(), h2.remove()
    return got["x"], got["o"], got["out"]


def test_bypass_and_standard_residual_wiring():
    for residual in ("bypass", "standard"):
        m = make_model("default")
        m.upper[0].hsa.residual = residual
        # With the MLP silenced the block output is x (bypass: o never enters the stream) or x + o.
        torch.nn.init.zeros_(m.upper[0].hsa.mlp.down_proj.weight)
        x, o, out = _capture_block(m)
        assert o[:, S:].abs().max() > 1e-3
        expect = x if residual == "bypass" else x + o
        assert torch.allclose(out, expect, atol=1e-13, rtol=0), residual
        # With the MLP on, the formula of MODEL.md s6 holds.
        m = make_model("default")
        m.upper[0].hsa.residual = residual
        x, o, out = _capture_block(m)
        blk = m.upper[0].hsa
        mlp = blk.mlp(blk.mlp_norm(x + o))
        expect = x + mlp if residual == "bypass" else x + o + mlp
        assert torch.allclose(out, expect, atol=1e-12, rtol=0), residual


def test_fused_swa_runs_after_retrieval():
    """Retrieval reads x before the fused SWA sublayer: zeroing that sublayer's output leaves the trace."""
    m = make_model("fused_swa")
    _, tr = m(tokens(), return_trace=True)
    torch.nn.init.zeros_(m.upper[0].hsa.swa.o_proj.weight)
    _, tr2 = m(tokens(), return_trace=True)
    assert torch.equal(tr[0]["ids"], tr2[0]["ids"]) and torch.equal(tr[0]["weights"], tr2[0]["weights"])


# Independent re-statements of MODEL.md s3 and s4 from the raw state_dict tensors: they share no code with
# the model (own norm, own RoPE, own attention loop), so a wrong CLS position, norm order or RoPE pairing
# that both model paths would share is caught here.

def _norm(x, w, eps=1e-6):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def _rope(x, p, theta=10000.0):
    """x (heads, dh) at integer position p: pair i with i + dh/2."""
    dh = x.shape[-1]
    out = x.clone()
    for i in range(dh // 2):
        a = p * theta ** (-2.0 * i / dh)
        out[:, i] = x[:, i] * math.cos(a) - x[:, i + dh // 2] * math.sin(a)
        out[:, i + dh // 2] = x[:, i + dh // 2] * math.cos(a) + x[:, i] * math.sin(a)
    return out


def _attention_layer(sd, pre, z, heads, kv, dh, key_ok, bias, qk_norm=True):
    """z (n, d): one pre-norm attention + SwiGLU layer; key_ok(i, j) says whether query i sees key j."""
    n = z.shape[0]
    h = _norm(z, sd[pre + "attn_norm.weight"])
    proj = lambda name: h @ sd[pre + f"attn.{name}.weight"].T + (sd[pre + f"attn.{name}.bias"] if bias else 0)
    q, k, v = proj("q_proj").view(n, heads, dh), proj("k_proj").view(n, kv, dh), proj("v_proj").view(n, kv, dh)
    if qk_norm:
        q, k = _norm(q, sd[pre + "attn.q_norm.weight"]), _norm(k, sd[pre + "attn.k_norm.weight"])
    q = torch.stack([_rope(q[i], i) for i in range(n)])
    k = torch.stack([_rope(k[i], i) for i in range(n)])
    a = torch.zeros(n, heads * dh, dtype=z.dtype)
    for i in range(n):
        for j in range(heads):
            keys = [m for m in range(n) if key_ok(i, m)]
            kh = j // (heads // kv)
            p = torch.softmax(torch.stack([q[i, j] @ k[m, kh] for m in keys]) / math.sqrt(dh), 0)
            a[i, j * dh:(j + 1) * dh] = sum(p[r] * v[m, kh] for r, m in enumerate(keys))
    z = z + a @ sd[pre + "attn.o_proj.weight"].T
    h = _norm(z, sd[pre + "mlp_norm.weight"])
    g = h @ sd[pre + "mlp.gate_proj.weight"].T
    u = h @ sd[pre + "mlp.up_proj.weight"].T
    return z + (torch.nn.functional.silu(g) * u) @ sd[pre + "mlp.down_proj.weight"].T


@pytest.mark.parametrize("variant", ["default", "enc2_cls", "enc1_mean", "enc0", "no_qk_norm"])
def test_chunk_memory_matches_spec(variant):
    m = make_model(variant)
    cfg, sd = m.cfg, m.state_dict()
    enc = cfg.hsa.encoder
    X = torch.randn(S, cfg.hidden_size, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    lmk, Km, Vm = m.memory(X[None])
    cls = enc.layers > 0 and enc.landmark == "cls"
    z = torch.cat([X, sd["memory.encoder.cls"][None]]) if cls else X       # CLS appended LAST
    for i in range(enc.layers):
        z = _attention_layer(sd, f"memory.encoder.layers.{i}.", z, enc.heads, enc.kv_heads, cfg.head_dim,
                             lambda a, b: True, bias=True)
    z = _norm(z, sd["memory.encoder.norm.weight"])
    E, pooled = (z[:S], z[S]) if cls else (z, z.mean(0))
    assert torch.allclose(lmk[0], sd["memory.lmk_proj.weight"] @ pooled, atol=1e-12)
    Kr = (E @ sd["memory.k_proj.weight"].T).view(S, cfg.hsa.num_kv_heads, cfg.head_dim)
    if cfg.hsa.qk_norm:
        Kr = _norm(Kr, sd["memory.k_norm.weight"])
    assert torch.allclose(Km[0], Kr, atol=1e-12)
    assert torch.allclose(Vm[0].flatten(1), E @ sd["memory.v_proj.weight"].T, atol=1e-12)


@pytest.mark.parametrize("variant", ["swa", "transformer", "no_qk_norm"])
def test_swa_block_matches_spec(variant):
    m = make_model(variant)
    cfg, sd = m.cfg, m.state_dict()
    n = 12
    x = torch.randn(n, cfg.hidden_size, generator=torch.Generator().manual_seed(10), dtype=torch.float64)
    W = cfg.window
    ok = (lambda i, j: j <= i) if W is None else (lambda i, j: i - W <= j <= i)
    ref = _attention_layer(sd, "lower.0.", x, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim,
                           ok, bias=False, qk_norm=cfg.qk_norm)
    pos = torch.arange(n)
    out = m.lower[0](x[None], m.rope(pos, x.dtype), window_mask(pos, pos, W))[0]
    assert torch.allclose(out, ref, atol=1e-12)


def test_gqa_head_mapping():
    g = torch.Generator().manual_seed(5)
    q = torch.randn(1, 6, 4, 8, generator=g, dtype=torch.float64)
    k = torch.randn(1, 6, 2, 8, generator=g, dtype=torch.float64)
    v = torch.randn(1, 6, 2, 8, generator=g, dtype=torch.float64)
    allowed = window_mask(torch.arange(6), torch.arange(6), 2)
    out = attend(q, k, v, allowed).view(1, 6, 4, 8)
    for j in range(4):
        h = j // 2
        z = (q[0, :, j] @ k[0, :, h].T / math.sqrt(8)).masked_fill(~allowed, float("-inf"))
        assert torch.allclose(out[0, :, j], torch.softmax(z, -1) @ v[0, :, h], atol=1e-13)


# ------------------------------------------------------------------------------------------------------------
# Streaming == full forward
# ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", list(VARIANTS))
def test_streaming_matches_forward(variant):
    m = make_model(variant)
    ids = tokens()
    ref, trace = m(ids, return_trace=True)
    for block in (1, 7, S, L):
        sess = StreamingSession(m)
        out = sess.run(ids, block)
        err = (out - ref).abs().max().item()
        assert err < 1e-9, f"block {block}: max |streaming - forward| = {err}"
    if m.cfg.is_hsa:  # the selections agree too (last session: block = L)
        for g, tr in enumerate(trace):
            for (b, t, hr, sel, w) in sess.trace[g]:
                n = len(sel)
                assert tr["ids"][b, t, hr, :n].tolist() == sel and (tr["ids"][b, t, hr, n:] == -1).all()
                assert tr["weights"][b, t, hr, :n].tolist() == pytest.approx(w, abs=1e-12)


def test_streaming_matches_forward_fp32():
    m = make_model("fused_swa", dtype=torch.float32)
    ids = tokens()
    ref = m(ids)
    assert ref.dtype == torch.float32
    for block in (1, 7):
        assert (StreamingSession(m).run(ids, block) - ref).abs().max() < 1e-4


def test_bf16_model_gives_fp32_logits():
    m = make_model("default", dtype=torch.bfloat16)
    assert m(tokens(n=12)).dtype == torch.float32


# ------------------------------------------------------------------------------------------------------------
# Gradients, Gumbel noise, init
# ------------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("variant", ["default", "softmax", "enc0"])
def test_gradients_reach_landmarks_through_weights(variant):
    m = make_model(variant)
    ids = tokens()
    probe = torch.randn(2, L, V, generator=torch.Generator().manual_seed(7), dtype=torch.float64)
    loss = lambda: (m(ids) * probe).sum()
    m.zero_grad()
    loss().backward()
    names = ["memory.lmk_proj.weight", "upper.0.retrieval.q_proj.weight", "upper.1.retrieval.q_proj.weight"]
    if variant != "enc0":
        names += ["memory.encoder.layers.0.attn.q_proj.weight"]
    if variant == "default":
        names += ["memory.encoder.cls"]
    params = dict(m.named_parameters())
    for n in names:
        assert params[n].grad is not None and params[n].grad.abs().max() > 1e-8, n
    # W_lmk only acts through the retrieval weights: its gradient matches a central finite difference.
    W = params["memory.lmk_proj.weight"]
    D = torch.randn(W.shape, generator=torch.Generator().manual_seed(8), dtype=torch.float64)
    analytic = (W.grad * D).sum().item()
    eps = 1e-6
    with torch.no_grad():
        W.add_(eps * D)
        up = loss().item()
        W.sub_(2 * eps * D)
        down = loss().item()
        W.add_(eps * D)
    assert abs((up - down) / (2 * eps) - analytic) < 1e-5 * max(1.0, abs(analytic))


def test_checkpointed_chunk_attention_gives_same_gradients():
    m = make_model("off_by_one").train()
    ids = tokens()
    grads = []
    for ckpt in (True, False):
        for grp in m.upper:
            grp.hsa.checkpoint = ckpt
        m.zero_grad()
        m(ids).pow(2).mean().backward()
        grads.append({n: p.grad.clone() for n, p in m.named_parameters()})
    assert all(torch.allclose(grads[0][n], grads[1][n], atol=1e-13, rtol=0) for n in grads[0])


def test_gumbel_noise_only_in_training():
    m = make_model("default")
    ids = tokens()
    clean = m(ids)
    m.set_gumbel_scale(5.0)
    m.eval()
    assert torch.equal(m(ids), clean) and torch.equal(m(ids), m(ids))
    m.train()
    torch.manual_seed(0)
    _, a = m(ids, return_trace=True)
    _, b = m(ids, return_trace=True)
    assert not torch.equal(a[0]["ids"], b[0]["ids"]), "noise should change some selections in training"
    # Selection changes, but rules hold: visible chunks only, most recent first.
    sel = a[0]["ids"]
    t = torch.arange(L).view(1, L, 1, 1)
    assert ((sel + 1) * S <= t)[sel >= 0].all()


def test_init_weights_deterministic():
    cfg = ModelConfig.from_dict(cfg_dict())
    a = HSAModel(cfg).init_weights(3).state_dict()
    b = HSAModel(cfg).init_weights(3).state_dict()
    c = HSAModel(cfg).init_weights(4).state_dict()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not torch.equal(a["embed.weight"], c["embed.weight"])
    assert (a["final_norm.weight"] == 1).all() and (a["memory.encoder.layers.0.attn.q_proj.bias"] == 0).all()
    assert 0.015 < a["lower.0.mlp.up_proj.weight"].std() < 0.025


def test_state_dict_names():
    keys = set(make_model("fused_swa").state_dict())
    for n in ("embed.weight", "lower.0.attn.q_norm.weight", "memory.encoder.cls", "memory.encoder.norm.weight",
              "memory.lmk_proj.weight", "memory.k_norm.weight", "upper.1.retrieval.q_proj.weight",
              "upper.0.hsa.swa.o_proj.weight", "upper.0.hsa.swa_norm.weight", "upper.1.swa.0.mlp.down_proj.weight",
              "final_norm.weight", "lm_head.weight"):
        assert n in keys, n
    assert not any(k.endswith(".bias") and ".encoder." not in k for k in keys)
    tied = set(make_model("full_attn_tied").state_dict())
    assert "lm_head.weight" not in tied
    base = set(make_model("transformer").state_dict())
    assert {k.split(".")[0] for k in base} == {"embed", "lower", "final_norm", "lm_head"}
    assert "lower.2.mlp.up_proj.weight" in base and "lower.3.attn_norm.weight" not in base
    enc0 = set(make_model("enc0").state_dict())
    assert "memory.encoder.cls" not in enc0 and "memory.encoder.norm.weight" in enc0


# ------------------------------------------------------------------------------------------------------------
# RoPE
# ------------------------------------------------------------------------------------------------------------

def test_rope_fp64_angles_at_huge_positions():
    dh, theta = 64, 10000.0
    pos = torch.tensor([2 ** 30, 2 ** 30 + 1, 2 ** 30 + 12345, 2 ** 31 - 1], dtype=torch.long)
    cos, sin = rope_cos_sin(pos, dh, theta, torch.float32)
    assert cos.dtype == torch.float32
    for r, p in enumerate(pos.tolist()):
        for i in range(dh // 2):
            ang = p * theta ** (-2.0 * i / dh)
            assert abs(cos[r, i].item() - math.cos(ang)) < 1e-6 and abs(sin[r, i].item() - math.sin(ang)) < 1e-6
            assert cos[r, i + dh // 2] == cos[r, i]
    # fp32 angles would be wrong here by far more than rounding: the reason for fp64.
    inv32 = theta ** (-torch.arange(0, dh, 2, dtype=torch.float32) / dh)
    bad = torch.cos(pos.float()[:, None] * inv32[None, :])
    assert (bad - cos[:, : dh // 2]).abs().max() > 1e-2


def test_rope_rotate_half_convention():
    cos, sin = rope_cos_sin(torch.tensor([1]), 4, 100.0, torch.float64)
    x = torch.tensor([1.0, 0, 0, 0], dtype=torch.float64).view(1, 1, 1, 4)
    y = apply_rope(x, cos, sin).flatten()
    assert torch.allclose(y, torch.tensor([math.cos(1), 0, math.sin(1), 0], dtype=torch.float64))
    y = apply_rope(torch.tensor([0, 1.0, 0, 0], dtype=torch.float64).view(1, 1, 1, 4), cos, sin).flatten()
    assert torch.allclose(y, torch.tensor([0, math.cos(0.1), 0, math.sin(0.1)], dtype=torch.float64))


# ------------------------------------------------------------------------------------------------------------
# Config
# ------------------------------------------------------------------------------------------------------------

def _raises(d, key):
    with pytest.raises(ValueError) as e:
        ModelConfig.from_dict(d, source="config.json")
    assert f"'{key}'" in str(e.value) and str(e.value).startswith("config.json"), str(e.value)


def test_config_unknown_and_missing_keys():
    d = cfg_dict(); d["foo"] = 1; _raises(d, "foo")
    d = cfg_dict(); d["hsa"]["foo"] = 1; _raises(d, "hsa.foo")
    d = cfg_dict(); d["hsa"]["encoder"]["bar"] = 1; _raises(d, "hsa.encoder.bar")
    for k in ("hidden_size", "vocab_size", "num_upper_groups", "hsa"):
        d = cfg_dict(); del d[k]; _raises(d, k)
    for k in ("retrieval_dim", "num_kv_heads", "single_head_retrieval"):
        d = cfg_dict(); del d["hsa"][k]; _raises(d, "hsa." + k)


def test_config_inconsistent_values():
    cases = [
        (dict(num_key_value_heads=3), "num_key_value_heads"),
        (dict(hsa=dict(num_kv_heads=3)), "hsa.num_kv_heads"),
        (dict(hsa=dict(retrieval_dim=15)), "hsa.retrieval_dim"),
        (dict(num_upper_layers=3), "num_upper_layers"),
        (dict(architecture="mamba"), "architecture"),
        (dict(hsa=dict(weighting="sparsemax")), "hsa.weighting"),
        (dict(hsa=dict(residual="none")), "hsa.residual"),
        (dict(hsa=dict(encoder=dict(landmark="max"))), "hsa.encoder.landmark"),
        (dict(hsa=dict(encoder=dict(kv_heads=3))), "hsa.encoder.kv_heads"),
        (dict(head_dim=7), "head_dim"),
        (dict(qk_norm="yes"), "qk_norm"),
        (dict(hsa=dict(topk=0)), "hsa.topk"),
        (dict(hidden_size=16), "hsa.encoder.intermediate_size"),   # default floor(8*16/3/64)*64 = 0
        (dict(architecture="swa", sliding_window=None), "sliding_window"),
    ]
    for over, key in cases:
        _raises(cfg_dict(**over), key)


def test_config_defaults_and_round_trip(tmp_path):
    d = cfg_dict()
    del d["hsa"]["encoder"], d["sliding_window"]
    c = ModelConfig.from_dict(d)
    assert c.sliding_window == 512 and c.rms_norm_eps == 1e-6 and c.rope_theta == 10000 and c.qk_norm
    assert c.hsa.weighting == "stick_breaking" and c.hsa.residual == "bypass" and not c.hsa.fused_swa
    e = c.hsa.encoder
    assert (e.layers, e.landmark, e.heads, e.kv_heads, e.intermediate_size) == (1, "cls", 4, 2, 64)
    big = cfg_dict(hidden_size=768)
    assert ModelConfig.from_dict(big).hsa.encoder.intermediate_size == 2048
    assert ModelConfig.from_dict(c.to_dict()) == c
    p = tmp_path / "config.json"
    c.to_json(str(p))
    assert ModelConfig.from_json(str(p)) == c
    assert set(json.loads(p.read_text())["hsa"]["encoder"]) == {"layers", "landmark", "heads", "kv_heads",
                                                                "intermediate_size"}
    p.write_text(json.dumps(dict(cfg_dict(), extra=1)))
    with pytest.raises(ValueError, match=r"config\.json: unknown key 'extra'"):
        ModelConfig.from_json(str(p))
    # Baselines need neither the hsa object nor num_upper_groups.
    b = ModelConfig.from_dict(cfg_dict(architecture="transformer"))
    assert b.hsa is None and b.window is None and "hsa" not in b.to_dict()
    assert ModelConfig.from_dict(b.to_dict()) == b
