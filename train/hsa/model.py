"""The HSA model family of spec/MODEL.md as a PyTorch module, plus a token-streaming oracle.

What it is for: the readable, exact reference that the trainer trains and that the C++ CPU / CUDA backends
are compared against; state_dict keys are the tensor names of the model file (docs/model_format.md).

The one idea that makes the full-sequence forward both exact and fast at the training length: hierarchical
sparse attention is a dense computation with a sparse mixing matrix. Every query scores ALL keys of all
complete chunks (an L x C*S product, the size of dense attention at 4K), a softmax runs inside each chunk of
S keys, and the per-chunk results are mixed by a matrix Wmix[t, h, c] that holds the retrieval weight of
chunk c for token t and kv head h at the selected chunk ids and 0 elsewhere. Chunks that were not selected
(or are not yet complete) get weight exactly 0, so the result equals the per-token gather of the spec.

StreamingSession is the other half: it follows MODEL.md section 9 literally (K/V rings per attention layer,
a chunk memory that grows as soon as a chunk's S-th token leaves the lower stack, per-token top-k with Python
loops). It shares the parameters and the small building blocks (norms, projections, RoPE, the chunk encoder)
but none of the vectorized masking, selection or mixing, so the two paths check each other.

Shapes: B batch, L tokens, d hidden, H query heads, dh head dim, S chunk size, C chunks, h_kv HSA kv heads,
G = H / h_kv, h_r retrieval heads, D_r retrieval dim, K slots (top-k).
"""

import math
import os
from typing import Dict, List, Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint

from .config import ModelConfig

# F.scaled_dot_product_attention exists from torch 2.0. The manual path below is the reference; the fused one
# is only used on CUDA, where it saves the L x L probability matrix during training.
# HSA_SDPA=0 forces the manual path everywhere (to compare the two in training).
HAVE_SDPA = hasattr(F, "scaled_dot_product_attention") and os.environ.get("HSA_SDPA", "1") != "0"


def _acc(t: torch.Tensor) -> torch.Tensor:
    """Accumulation dtype: fp32 for half types, unchanged for fp32 / fp64 (tests run in fp64)."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


# ------------------------------------------------------------------------------------------------------------
# Small building blocks
# ------------------------------------------------------------------------------------------------------------

class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * w over the last dimension (per-head norms have a weight of size dh)."""

    def __init__(self, n: int, eps: float):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(n))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        xf = _acc(x)
        y = xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)
        return y.to(x.dtype) * self.weight


class SwiGLU(nn.Module):
    def __init__(self, d: int, inter: int):
        super().__init__()
        self.gate_proj = nn.Linear(d, inter, bias=False)
        self.up_proj = nn.Linear(d, inter, bias=False)
        self.down_proj = nn.Linear(inter, d, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def rope_cos_sin(positions: torch.Tensor, head_dim: int, theta: float,
                 dtype: torch.dtype) -> Tuple[torch.Tensor, torch.Tensor]:
    """cos/sin tables (L, dh) for rotate-half RoPE at integer `positions`.

    Angles are formed in float64 (inv_freq too): positions go up to 2^31, where an fp32 angle is off by
    whole radians (fp32 has 24 mantissa bits). Only the final cos/sin are rounded to the compute dtype.
    """
    i = torch.arange(head_dim // 2, dtype=torch.float64, device=positions.device)
    inv_freq = torch.pow(torch.tensor(float(theta), dtype=torch.float64, device=positions.device),
                         -2.0 * i / head_dim)
    ang = positions.to(torch.float64)[:, None] * inv_freq[None, :]
    cos, sin = torch.cos(ang), torch.sin(ang)
    return torch.cat([cos, cos], -1).to(dtype), torch.cat([sin, sin], -1).to(dtype)


def apply_rope(x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor) -> torch.Tensor:
    """x: (B, L, heads, dh); dimension i is rotated together with i + dh/2 (HF Llama convention)."""
    x1, x2 = x.chunk(2, dim=-1)
    rotated = torch.cat([-x2, x1], dim=-1)
    return x * cos[:, None, :] + rotated * sin[:, None, :]


def window_mask(q_pos: torch.Tensor, k_pos: torch.Tensor, window: Optional[int]) -> torch.Tensor:
    """allowed[i, j]: key position k_pos[j] is visible from query position q_pos[i].

    Causal, and with a window W the keys t-W..t inclusive (W+1 keys; FlashAttention window (W, 0)).
    """
    diff = q_pos[:, None] - k_pos[None, :]
    allowed = diff >= 0
    if window is not None:
        allowed = allowed & (diff <= window)
    return allowed


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
           allowed: Optional[torch.Tensor]) -> torch.Tensor:
    """softmax(q k^T / sqrt(dh)) v with GQA; q (B,Lq,H,dh), k/v (B,Lk,n_kv,dh) -> (B, Lq, H*dh).

    Query head j uses kv head j // (H / n_kv) (HF repeat_kv). `allowed` (Lq, Lk) or None (bidirectional).
    """
    B, Lq, H, dh = q.shape
    G = H // k.shape[2]
    k = k.repeat_interleave(G, dim=2)
    v = v.repeat_interleave(G, dim=2)
    if HAVE_SDPA and q.is_cuda:
        out = F.scaled_dot_product_attention(q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2),
                                             attn_mask=allowed)
        return out.transpose(1, 2).reshape(B, Lq, H * dh)
    logits = _acc(torch.einsum("bqhd,bkhd->bhqk", q, k)) / math.sqrt(dh)
    if allowed is not None:
        logits = logits.masked_fill(~allowed, float("-inf"))
    p = torch.softmax(logits, dim=-1).to(v.dtype)
    return torch.einsum("bhqk,bkhd->bqhd", p, v).reshape(B, Lq, H * dh)


class Attention(nn.Module):
    """Multi-head attention with GQA, optional per-head QK RMSNorm and RoPE (SWA, full, fused SWA, encoder)."""

    def __init__(self, d: int, heads: int, kv_heads: int, dh: int, qk_norm: bool, eps: float,
                 bias: bool = False):
        super().__init__()
        self.heads, self.kv_heads, self.dh = heads, kv_heads, dh
        self.q_proj = nn.Linear(d, heads * dh, bias=bias)
        self.k_proj = nn.Linear(d, kv_heads * dh, bias=bias)
        self.v_proj = nn.Linear(d, kv_heads * dh, bias=bias)
        self.o_proj = nn.Linear(heads * dh, d, bias=False)
        self.q_norm = RMSNorm(dh, eps) if qk_norm else None
        self.k_norm = RMSNorm(dh, eps) if qk_norm else None

    def project(self, h: torch.Tensor, rope: Tuple[torch.Tensor, torch.Tensor]):
        """q (B,L,H,dh), k and v (B,L,n_kv,dh): projected, QK-normed, rotated."""
        B, L, _ = h.shape
        q = self.q_proj(h).view(B, L, self.heads, self.dh)
        k = self.k_proj(h).view(B, L, self.kv_heads, self.dh)
        v = self.v_proj(h).view(B, L, self.kv_heads, self.dh)
        if self.q_norm is not None:
            q, k = self.q_norm(q), self.k_norm(k)
        return apply_rope(q, *rope), apply_rope(k, *rope), v

    def forward(self, h, rope, allowed):
        q, k, v = self.project(h, rope)
        return self.o_proj(attend(q, k, v, allowed))


class SWABlock(nn.Module):
    """MODEL.md s3: x + Wo attn(RMSNorm x), then x + SwiGLU(RMSNorm x). Window or full causal via `allowed`."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, eps = cfg.hidden_size, cfg.rms_norm_eps
        self.attn_norm = RMSNorm(d, eps)
        self.attn = Attention(d, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim,
                              cfg.qk_norm, eps)
        self.mlp_norm = RMSNorm(d, eps)
        self.mlp = SwiGLU(d, cfg.intermediate_size)

    def forward(self, x, rope, allowed):
        x = x + self.attn(self.attn_norm(x), rope, allowed)
        return x + self.mlp(self.mlp_norm(x))


# ------------------------------------------------------------------------------------------------------------
# Chunk memory (MODEL.md s4)
# ------------------------------------------------------------------------------------------------------------

class EncoderLayer(nn.Module):
    """Pre-norm Qwen2-style layer without a causal mask: q/k/v biases, per-head QK norm, local RoPE."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, eps, enc = cfg.hidden_size, cfg.rms_norm_eps, cfg.hsa.encoder
        self.attn_norm = RMSNorm(d, eps)
        # The spec gives the encoder per-head QK norm unconditionally (not tied to qk_norm / hsa.qk_norm).
        self.attn = Attention(d, enc.heads, enc.kv_heads, cfg.head_dim, True, eps, bias=True)
        self.mlp_norm = RMSNorm(d, eps)
        self.mlp = SwiGLU(d, enc.intermediate_size)

    def forward(self, z, rope):
        z = z + self.attn(self.attn_norm(z), rope, None)
        return z + self.mlp(self.mlp_norm(z))


class ChunkEncoder(nn.Module):
    """Chunk tokens (N, S, d) -> (E (N, S, d), pooled (N, d)): CLS output or mean of E, after a final norm."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        enc = cfg.hsa.encoder
        self.layers = nn.ModuleList([EncoderLayer(cfg) for _ in range(enc.layers)])
        # With 0 layers the landmark is always the mean ("MeanPool" ablation): there is nothing to attend.
        self.use_cls = enc.layers > 0 and enc.landmark == "cls"
        self.cls = nn.Parameter(torch.zeros(cfg.hidden_size)) if self.use_cls else None
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.head_dim, self.theta = cfg.head_dim, cfg.rope_theta

    def forward(self, X: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        N, S, d = X.shape
        z = X
        if self.use_cls:  # CLS appended LAST, so the chunk tokens keep local positions 0..S-1 and CLS gets S
            z = torch.cat([X, self.cls.to(X.dtype).expand(N, 1, d)], dim=1)
        if len(self.layers):
            pos = torch.arange(z.shape[1], device=X.device)
            rope = rope_cos_sin(pos, self.head_dim, self.theta, X.dtype)
            for layer in self.layers:
                z = layer(z, rope)
        z = self.norm(z)
        if self.use_cls:
            return z[:, :S], z[:, S]
        return z, z.mean(dim=1)


class ChunkMemory(nn.Module):
    """landmark_i = W_lmk pooled_i (D_r), K_i = [norm] W_K E_i, V_i = W_V E_i (S, h_kv, dh) per chunk."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, h = cfg.hidden_size, cfg.hsa
        self.kv_heads, self.dh = h.num_kv_heads, cfg.head_dim
        self.encoder = ChunkEncoder(cfg)
        self.lmk_proj = nn.Linear(d, h.retrieval_dim, bias=False)
        self.k_proj = nn.Linear(d, h.num_kv_heads * cfg.head_dim, bias=False)
        self.v_proj = nn.Linear(d, h.num_kv_heads * cfg.head_dim, bias=False)
        self.k_norm = RMSNorm(cfg.head_dim, cfg.rms_norm_eps) if h.qk_norm else None

    def forward(self, X: torch.Tensor):
        """X (N, S, d) complete chunks -> landmarks (N, D_r), K and V (N, S, h_kv, dh)."""
        N, S, _ = X.shape
        E, pooled = self.encoder(X)
        K = self.k_proj(E).view(N, S, self.kv_heads, self.dh)
        if self.k_norm is not None:
            K = self.k_norm(K)
        V = self.v_proj(E).view(N, S, self.kv_heads, self.dh)
        return self.lmk_proj(pooled), K, V


# ------------------------------------------------------------------------------------------------------------
# Retrieval (MODEL.md s5)
# ------------------------------------------------------------------------------------------------------------

def select_chunks(scores: torch.Tensor, positions: torch.Tensor, chunk_size: int, k: int,
                  select_scores: Optional[torch.Tensor] = None):
    """Top-k visible chunks per (token, head), ordered most recent first.

    scores (B, L, h, C); chunk i is visible from position t iff (i+1)*S <= t. Ties go to the larger chunk
    index: the chunk axis is reversed (largest index first) and a STABLE descending sort keeps that order
    among equal scores. `select_scores` (scores + Gumbel noise in training) decides the selection only.
    Returns ids (B, L, h, k) with -1 in empty slots (always the last ones) and the clean scores at the ids.
    """
    B, L, h, C = scores.shape
    t = positions.view(1, L, 1, 1)
    if C == 0:
        ids = torch.full((B, L, h, k), -1, dtype=torch.long, device=scores.device)
        return ids, scores.new_zeros(B, L, h, k)
    chunk = torch.arange(C, device=scores.device)
    visible = (chunk + 1) * chunk_size <= t                          # (1, L, 1, C)
    sel = scores if select_scores is None else select_scores
    sel = sel.masked_fill(~visible, float("-inf")).flip(-1)           # column j = chunk C-1-j
    order = torch.sort(sel, dim=-1, descending=True, stable=True).indices[..., :k]
    ids = C - 1 - order
    ids = torch.where((ids + 1) * chunk_size <= t, ids, torch.full_like(ids, -1))
    ids = torch.sort(ids, dim=-1, descending=True).values             # most recent first, empties (-1) last
    if ids.shape[-1] < k:
        ids = F.pad(ids, (0, k - ids.shape[-1]), value=-1)
    return ids, torch.gather(scores, -1, ids.clamp(min=0))


def slot_weights(s: torch.Tensor, valid: torch.Tensor, weighting: str) -> torch.Tensor:
    """Weights over the K slots (most recent first); empty slots get 0. Computed in >= fp32.

    stick_breaking: w_k = sigmoid(s_k) prod_{j<k} (1 - sigmoid(s_j)), in log space as
    exp(log_sigmoid(s_k) - sum_{j<k} softplus(s_j)) since log(1 - sigmoid(s)) = -softplus(s).
    softmax: over the non-empty slots.
    """
    s = s.to(torch.promote_types(s.dtype, torch.float32)).masked_fill(~valid, 0.0)
    if weighting == "stick_breaking":
        sp = F.softplus(s).masked_fill(~valid, 0.0)
        before = torch.cat([torch.zeros_like(sp[..., :1]), torch.cumsum(sp, -1)[..., :-1]], -1)
        w = torch.exp(F.logsigmoid(s) - before)
    else:
        # finfo.min instead of -inf keeps rows with no valid slot finite (they are zeroed below).
        w = torch.softmax(s.masked_fill(~valid, torch.finfo(s.dtype).min), dim=-1)
    return w * valid


class Retrieval(nn.Module):
    """qr = W_r RMSNorm(x) split into h_r heads; scores against the landmarks; top-K; slot weights."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        h = cfg.hsa
        self.heads = h.retrieval_heads
        self.head_dim = h.retrieval_dim // self.heads
        self.chunk_size, self.topk, self.weighting = h.chunk_size, h.topk, h.weighting
        self.norm = RMSNorm(cfg.hidden_size, cfg.rms_norm_eps)
        self.q_proj = nn.Linear(cfg.hidden_size, h.retrieval_dim, bias=False)
        # lmk_norm: per retrieval head (weight of size D_r / h_r), like every other per-head norm here.
        self.q_norm = RMSNorm(self.head_dim, cfg.rms_norm_eps) if h.lmk_norm else None
        self.lmk_norm = RMSNorm(self.head_dim, cfg.rms_norm_eps) if h.lmk_norm else None
        # Scale of Gumbel noise added to the scores before top-k; only ever used in training mode.
        self.gumbel_scale = 0.0

    def queries(self, x: torch.Tensor) -> torch.Tensor:
        B, L, _ = x.shape
        qr = self.q_proj(self.norm(x)).view(B, L, self.heads, self.head_dim)
        return self.q_norm(qr) if self.q_norm is not None else qr

    def keys(self, landmarks: torch.Tensor) -> torch.Tensor:
        """landmarks (B, C, D_r) -> (B, C, h_r, D_r/h_r)."""
        B, C, _ = landmarks.shape
        lm = landmarks.view(B, C, self.heads, self.head_dim)
        return self.lmk_norm(lm) if self.lmk_norm is not None else lm

    def forward(self, x, landmarks, positions):
        """-> selected ids and their weights (B, L, h_r, K), and the scores of all chunks (B, L, h_r, C), visible
        or not (what a retrieval loss in training reads)."""
        scores = torch.einsum("blhd,bchd->blhc", self.queries(x), self.keys(landmarks))
        scores = scores / math.sqrt(self.head_dim)
        noisy = None
        if self.training and self.gumbel_scale > 0:
            u = torch.rand_like(scores).clamp(1e-10, 1.0 - 1e-7)
            noisy = scores.detach() - self.gumbel_scale * torch.log(-torch.log(u))
        ids, s = select_chunks(scores, positions, self.chunk_size, self.topk, noisy)
        return ids, slot_weights(s, ids >= 0, self.weighting), scores


# ------------------------------------------------------------------------------------------------------------
# HSA block (MODEL.md s6)
# ------------------------------------------------------------------------------------------------------------

def chunk_softmax(z: torch.Tensor, off_by_one: bool) -> torch.Tensor:
    """Softmax over the last axis (the S keys of one chunk); off-by-one adds a null key of logit 0."""
    z = _acc(z)
    m = z.amax(dim=-1, keepdim=True).detach()  # any shift is exact; detaching only saves backward work
    e = torch.exp(z - m)
    den = e.sum(dim=-1, keepdim=True)
    if off_by_one:
        den = den + torch.exp(-m)
    return e / den


def mixed_chunk_attention(qg, mem_k, mem_v, mix, off_by_one: bool) -> torch.Tensor:
    """O[t, j] = sum_c mix[t, h, c] * softmax_S(q_j . K_c[:, h] / sqrt(dh)) V_c[:, h], for all c at once.

    qg (B, L, h_kv, G, dh) queries grouped by kv head; mem_k/mem_v (B, C, S, h_kv, dh); mix (B, L, h_kv, C).
    The logits are as large as dense attention over C*S keys; unselected chunks have mix 0 and drop out.
    """
    dh = qg.shape[-1]
    z = torch.einsum("blhgd,bcshd->blhgcs", qg, mem_k) / math.sqrt(dh)
    p = chunk_softmax(z, off_by_one) * mix[:, :, :, None, :, None]
    return torch.einsum("blhgcs,bcshd->blhgd", p.to(mem_v.dtype), mem_v)


class HSABlock(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        d, eps, h = cfg.hidden_size, cfg.rms_norm_eps, cfg.hsa
        self.heads, self.kv_heads, self.dh = cfg.num_attention_heads, h.num_kv_heads, cfg.head_dim
        self.off_by_one, self.residual = h.softmax_off_by_one, h.residual
        # In training, recompute the (L, H, C*S) chunk probabilities in backward instead of storing them:
        # at 4K tokens they are the size of a dense attention matrix per HSA block.
        self.checkpoint = True
        if h.fused_swa:
            self.swa_norm = RMSNorm(d, eps)
            self.swa = Attention(d, cfg.num_attention_heads, cfg.num_key_value_heads, cfg.head_dim,
                                 cfg.qk_norm, eps)
        else:
            self.swa_norm, self.swa = None, None
        self.attn_norm = RMSNorm(d, eps)
        self.q_proj = nn.Linear(d, self.heads * self.dh, bias=False)
        self.q_norm = RMSNorm(self.dh, eps) if h.qk_norm else None
        self.o_proj = nn.Linear(self.heads * self.dh, d, bias=False)
        self.mlp_norm = RMSNorm(d, eps)
        self.mlp = SwiGLU(d, cfg.intermediate_size)

    def queries(self, x: torch.Tensor) -> torch.Tensor:
        """(B, L, H, dh), no positional encoding: chunks are retrieved from any distance."""
        B, L, _ = x.shape
        q = self.q_proj(self.attn_norm(x)).view(B, L, self.heads, self.dh)
        return self.q_norm(q) if self.q_norm is not None else q

    def combine(self, res: torch.Tensor, o: torch.Tensor) -> torch.Tensor:
        """bypass: o reaches the residual stream only through the MLP; standard: it is also added."""
        m = self.mlp(self.mlp_norm(res + o))
        return res + m if self.residual == "bypass" else res + o + m

    def forward(self, x, mem_k, mem_v, ids, w, rope, allowed):
        """x (B,L,d); mem_k/mem_v (B,C,S,h_kv,dh); ids/w (B,L,h_r,K) from the retrieval of this group."""
        if self.swa is not None:
            x = x + self.swa(self.swa_norm(x), rope, allowed)
        res = x
        q = self.queries(x)
        B, L, H, dh = q.shape
        C, S = mem_k.shape[1], mem_k.shape[2]
        if C == 0:  # no complete chunk anywhere in this sequence: o = 0
            o = self.o_proj(q.new_zeros(B, L, H * dh))
            return self.combine(res, o)
        hkv, G = self.kv_heads, H // self.kv_heads
        if ids.shape[2] != hkv:  # single-head retrieval: one selection shared by all kv heads
            ids, w = ids.expand(B, L, hkv, ids.shape[3]), w.expand(B, L, hkv, w.shape[3])
        # Sparse mixing matrix: weight of chunk c for (t, kv head); empty slots carry weight 0 at id 0.
        mix = w.new_zeros(B, L, hkv, C).scatter_add(-1, ids.clamp(min=0), w)
        args = (q.view(B, L, hkv, G, dh), mem_k, mem_v, mix, self.off_by_one)
        if self.checkpoint and self.training and torch.is_grad_enabled():
            O = checkpoint(mixed_chunk_attention, *args, use_reentrant=False)
        else:
            O = mixed_chunk_attention(*args)
        o = self.o_proj(O.reshape(B, L, H * dh))
        return self.combine(res, o)


class UpperGroup(nn.Module):
    """Retrieval_g, HSABlock_g, then num_upper_layers / num_upper_groups SWA blocks."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.retrieval = Retrieval(cfg)
        self.hsa = HSABlock(cfg)
        self.swa = nn.ModuleList([SWABlock(cfg) for _ in range(cfg.swa_layers_per_group)])


# ------------------------------------------------------------------------------------------------------------
# The model (MODEL.md s2)
# ------------------------------------------------------------------------------------------------------------

class HSAModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        d = cfg.hidden_size
        self.embed = nn.Embedding(cfg.vocab_size, d)
        # Baselines (swa, transformer) are a lower stack of num_lower_layers + num_upper_layers SWA blocks.
        n_lower = cfg.num_lower_layers if cfg.is_hsa else cfg.num_lower_layers + cfg.num_upper_layers
        self.lower = nn.ModuleList([SWABlock(cfg) for _ in range(n_lower)])
        if cfg.is_hsa:
            self.memory = ChunkMemory(cfg)
            self.upper = nn.ModuleList([UpperGroup(cfg) for _ in range(cfg.num_upper_groups)])
        else:
            self.memory, self.upper = None, nn.ModuleList()
        self.final_norm = RMSNorm(d, cfg.rms_norm_eps)
        self.lm_head = None if cfg.tie_word_embeddings else nn.Linear(d, cfg.vocab_size, bias=False)

    # ---- weights ---------------------------------------------------------------------------------------
    def init_weights(self, seed: int = 0) -> "HSAModel":
        """Deterministic init: N(0, 0.02) for linears, embeddings and CLS; 1 for norms; 0 for biases.

        Values are drawn on the CPU in fp32 in named_parameters order, so the same seed gives the same
        model on every device and dtype.
        """
        g = torch.Generator().manual_seed(seed)
        norms = {name + ".weight" if name else "weight"
                 for name, mod in self.named_modules() if isinstance(mod, RMSNorm)}
        with torch.no_grad():
            for name, p in self.named_parameters():
                if name in norms:
                    p.fill_(1.0)
                elif name.endswith(".bias"):
                    p.zero_()
                else:
                    p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float32) * 0.02)
        return self

    def set_gumbel_scale(self, scale: float) -> None:
        """Gumbel noise on retrieval scores before top-k; applied only while the model is in train()."""
        for grp in self.upper:
            grp.retrieval.gumbel_scale = float(scale)

    def rope(self, positions: torch.Tensor, dtype: torch.dtype):
        return rope_cos_sin(positions, self.cfg.head_dim, self.cfg.rope_theta, dtype)

    def lm_logits(self, x: torch.Tensor) -> torch.Tensor:
        h = self.final_norm(x)
        logits = F.linear(h, self.embed.weight) if self.lm_head is None else self.lm_head(h)
        return logits.to(torch.promote_types(logits.dtype, torch.float32))

    # ---- full-sequence forward ---------------------------------------------------------------------------
    def forward(self, ids: torch.Tensor, return_trace: bool = False):
        """ids (B, L) -> logits (B, L, V) in fp32 (fp64 for an fp64 model).

        With return_trace, also a list over upper groups of {"ids", "weights"} (B, L, h_r, K): the selected
        chunk ids (most recent first, -1 = empty slot) and their weights, and "scores" (B, L, h_r, C): the
        retrieval scores of all C chunks (those not yet complete at a position included; mask them).
        """
        cfg = self.cfg
        B, L = ids.shape
        x = self.embed(ids)
        pos = torch.arange(L, device=ids.device)
        rope = self.rope(pos, x.dtype)
        allowed = window_mask(pos, pos, cfg.window)
        for blk in self.lower:
            x = blk(x, rope, allowed)
        trace: List[Dict[str, torch.Tensor]] = []
        if cfg.is_hsa:
            S = cfg.hsa.chunk_size
            C = (L - 1) // S if L > 0 else 0  # chunks that some token of this sequence can see
            lmk, K, V = self.memory(x[:, :C * S].reshape(B * C, S, cfg.hidden_size))
            lmk = lmk.view(B, C, cfg.hsa.retrieval_dim)
            K, V = K.view(B, C, S, *K.shape[2:]), V.view(B, C, S, *V.shape[2:])
            for grp in self.upper:
                sel_ids, w, scores = grp.retrieval(x, lmk, pos)   # retrieval reads x before any fused SWA
                x = grp.hsa(x, K, V, sel_ids, w, rope, allowed)
                for blk in grp.swa:
                    x = blk(x, rope, allowed)
                if return_trace:
                    trace.append({"ids": sel_ids, "weights": w, "scores": scores})
        logits = self.lm_logits(x)
        return (logits, trace) if return_trace else logits

    def streaming(self) -> "StreamingSession":
        return StreamingSession(self)


# ------------------------------------------------------------------------------------------------------------
# Streaming oracle (MODEL.md s9)
# ------------------------------------------------------------------------------------------------------------

class StreamingSession:
    """Feeds tokens in blocks of any size and returns their logits, keeping only the inference state.

    State: per attention layer the K/V of the last W positions (all of them without a window), the chunk
    memory (one landmark, K and V per complete chunk), and the lower-stack outputs of the chunk in progress.
    Deliberately plain: retrieval, chunk softmax and weighting run per token, head and slot in Python.
    """

    def __init__(self, model: HSAModel):
        self.model, self.cfg = model, model.cfg
        self.pos = 0
        self.kv: Dict[nn.Module, Tuple[torch.Tensor, torch.Tensor, torch.Tensor]] = {}
        self.partial: Optional[torch.Tensor] = None   # (B, < S, d) lower-stack outputs
        self.landmarks: List[torch.Tensor] = []       # per chunk (B, D_r)
        self.mem_k: List[torch.Tensor] = []           # per chunk (B, S, h_kv, dh)
        self.mem_v: List[torch.Tensor] = []
        self.trace: List[List[Tuple[int, int, int, List[int], List[float]]]] = [[] for _ in model.upper]

    def _attention(self, attn: Attention, h: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """Attention of a block of new tokens over the cached keys plus themselves; then trim the ring."""
        q, k, v = attn.project(h, self.model.rope(pos, h.dtype))
        if attn in self.kv:
            kp, kc, vc = self.kv[attn]
            kp, k, v = torch.cat([kp, pos]), torch.cat([kc, k], 1), torch.cat([vc, v], 1)
        else:
            kp = pos
        window = self.cfg.window
        a = attend(q, k, v, window_mask(pos, kp, window))
        if window is not None:  # the next token (pos[-1] + 1) sees positions >= pos[-1] + 1 - W
            keep = kp >= pos[-1] + 1 - window
            kp, k, v = kp[keep], k[:, keep], v[:, keep]
        self.kv[attn] = (kp, k, v)
        return attn.o_proj(a)

    def _swa_block(self, blk: SWABlock, x, pos):
        x = x + self._attention(blk.attn, blk.attn_norm(x), pos)
        return x + blk.mlp(blk.mlp_norm(x))

    def _grow_memory(self, x: torch.Tensor) -> None:
        """Append lower-stack outputs; every chunk that reaches S tokens is encoded right away."""
        S = self.cfg.hsa.chunk_size
        self.partial = x if self.partial is None else torch.cat([self.partial, x], 1)
        while self.partial.shape[1] >= S:
            lmk, K, V = self.model.memory(self.partial[:, :S])
            self.landmarks.append(lmk)
            self.mem_k.append(K)
            self.mem_v.append(V)
            self.partial = self.partial[:, S:]

    def _hsa_group(self, g: int, grp: UpperGroup, x: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        h, ret, blk = self.cfg.hsa, grp.retrieval, grp.hsa
        S, K_slots = h.chunk_size, h.topk
        B, n, _ = x.shape
        qr = ret.queries(x)                                                    # retrieval reads x first
        lm = ret.keys(torch.stack(self.landmarks, 1)) if self.landmarks else None
        if blk.swa is not None:
            x = x + self._attention(blk.swa, blk.swa_norm(x), pos)
        res = x
        q = blk.queries(x)
        H, dh, hkv = blk.heads, blk.dh, blk.kv_heads
        G = H // hkv
        acc = torch.promote_types(x.dtype, torch.float32)
        rows = []
        for b in range(B):
            for i in range(n):
                t = int(pos[i])
                n_chunks = t // S                       # chunks i with (i+1) S <= t
                assert n_chunks <= len(self.landmarks), "a visible chunk is missing from the memory"
                out = [torch.zeros(dh, dtype=acc, device=x.device) for _ in range(H)]
                for hr in range(ret.heads):
                    s = [float(qr[b, i, hr] @ lm[b, c, hr]) / math.sqrt(ret.head_dim) for c in range(n_chunks)]
                    top = sorted(range(n_chunks), key=lambda c: (-s[c], -c))[:K_slots]  # ties: larger c
                    sel = sorted(top, reverse=True)                                     # most recent first
                    w = self._weights([s[c] for c in sel], h.weighting)
                    self.trace[g].append((b, t, hr, sel, w))
                    kv_heads = range(hkv) if ret.heads == 1 else [hr]
                    for kh in kv_heads:
                        for j in range(kh * G, (kh + 1) * G):
                            for c, wk in zip(sel, w):
                                z = (self.mem_k[c][b, :, kh] @ q[b, i, j]).to(acc) / math.sqrt(dh)
                                m = float(z.max())
                                e = torch.exp(z - m)
                                den = e.sum() + (math.exp(-m) if h.softmax_off_by_one else 0.0)
                                out[j] = out[j] + wk * ((e / den) @ self.mem_v[c][b, :, kh].to(acc))
                rows.append(torch.cat(out))
        O = torch.stack(rows).view(B, n, H * dh).to(x.dtype)
        return blk.combine(res, blk.o_proj(O))

    @staticmethod
    def _weights(s: List[float], weighting: str) -> List[float]:
        if not s:
            return []
        if weighting == "stick_breaking":
            w, remaining_log = [], 0.0   # log of prod_{j<k} (1 - sigmoid(s_j)) = -sum softplus(s_j)
            for sk in s:
                log_sig = -math.log1p(math.exp(-sk)) if sk >= 0 else sk - math.log1p(math.exp(sk))
                w.append(math.exp(log_sig + remaining_log))
                remaining_log += log_sig - sk   # log(1 - sigmoid(s)) = log_sigmoid(s) - s
            return w
        m = max(s)
        e = [math.exp(sk - m) for sk in s]
        return [ek / sum(e) for ek in e]

    @torch.no_grad()
    def step(self, ids: torch.Tensor) -> torch.Tensor:
        """ids (B, n) of the next n positions -> their logits (B, n, V)."""
        B, n = ids.shape
        pos = torch.arange(self.pos, self.pos + n, device=ids.device)
        x = self.model.embed(ids)
        for blk in self.model.lower:
            x = self._swa_block(blk, x, pos)
        if self.cfg.is_hsa:
            self._grow_memory(x)    # before any token of this block retrieves
            for g, grp in enumerate(self.model.upper):
                x = self._hsa_group(g, grp, x, pos)
                for blk in grp.swa:
                    x = self._swa_block(blk, x, pos)
        self.pos += n
        return self.model.lm_logits(x)

    def run(self, ids: torch.Tensor, block_size: int) -> torch.Tensor:
        """Feed ids (B, L) in blocks of block_size and concatenate the logits."""
        return torch.cat([self.step(ids[:, i:i + block_size]) for i in range(0, ids.shape[1], block_size)], 1)
