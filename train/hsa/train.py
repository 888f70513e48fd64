"""Trainer: the HSA model family on `hsa generate` token datasets.

    PYTHONPATH=train python3 -m hsa.train --config cfg.json --data a.h5,b.h5 --out runs/tiny \
        --steps 3000 --time-budget-min 10

AdamW with linear warm-up and cosine decay, bf16 autocast on CUDA, gradient clipping, loss on the answer
span (plus an optional LM loss on the rest), periodic teacher-forced exact-match accuracy per task on the
held-out rows, JSONL logs, a progress line, and checkpoints that resume exactly: model, optimizer, scheduler,
RNG states and the data cursor (epoch, batch) are saved together, and batches are a pure function of
(seed, epoch, batch index), so a resumed run sees the same data in the same order.
"""
import argparse
import json
import math
import os
import re
import sys
import time

import torch
import torch.nn.functional as F

from .config import ModelConfig
from .safetensors_io import load_file
from .data import TokenDatasets, batches
from .model import HSAModel


def lr_at(step, seconds, args):
    """Linear warm-up, then cosine decay over the run; with a time budget the run's progress is the larger of
    the step fraction and the time fraction, so a time-bounded run still ends its schedule."""
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    p = (step - args.warmup) / max(1, args.steps - args.warmup)
    if args.time_budget_min > 0:
        p = max(p, seconds / (args.time_budget_min * 60))
    p = min(1.0, p)
    return args.min_lr + 0.5 * (args.lr - args.min_lr) * (1 + math.cos(math.pi * p))


def autocast(device, precision="bf16"):
    if device.type == "cuda" and precision == "bf16":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return torch.autocast("cpu", enabled=False)


def evidence_targets(ev, ans, chunk_size):
    """ev (B, C) evidence chunks, ans (B, L) answer mask -> visible (L, C): chunk i complete before position t;
    target (B, L, C): the visible evidence chunks; use (B, L): answer positions with visible evidence."""
    L, C = ans.shape[1], ev.shape[1]
    t = torch.arange(L, device=ans.device)
    visible = ((torch.arange(C, device=ans.device) + 1) * chunk_size)[None, :] <= t[:, None]
    target = ev[:, None, :] & visible[None]
    return visible, target, (ans > 0) & target.any(-1)


def retrieval_loss(trace, ev, ans, chunk_size):
    """Supervision of the selection at the answer positions, averaged over upper groups and retrieval heads, in
    two terms on the scores of the visible chunks:
    - every chunk without evidence closed: mean of -log(1 - sigmoid(s)) = softplus(s) over them, which also
      ranks them below the evidence, so top-K selects it;
    - some evidence chunk open: -log(1 - prod(1 - sigmoid(s))) over the evidence chunks. With the others closed
      this is -log of the stick-breaking weight the evidence gets in all, whatever the recency order; how that
      weight is split between evidence chunks (a needle across a chunk boundary) is left to the model's loss.
    The evidence is pooled over a sample's markers: where an answer needs several pieces (multi-value needles,
    vt chains, bAbI questions with two supporting facts), one open gate already satisfies the second term.
    """
    visible, target, use = evidence_targets(ev, ans, chunk_size)
    if not bool(use.any()):
        return None
    pos = target[:, :, None, :]
    neg = visible[None, :, None, :] & ~pos
    total = 0.0
    for tr in trace:
        s = tr["scores"].float()
        closed = (F.softplus(s) * neg).sum(-1) / neg.sum(-1).clamp(min=1)
        # x = sum softplus(s) over the evidence = -log prod(1 - sigmoid(s)); opened = -log(1 - exp(-x)), from
        # log x (a logsumexp of log softplus(s) ~ s far below 0), so it keeps a gradient however shut the gates are.
        log_sp = torch.where(s < -20, s, torch.log(F.softplus(s).clamp(min=1e-30)))
        log_x = torch.logsumexp(log_sp.masked_fill(~pos, float("-inf")), dim=-1)
        x = torch.exp(log_x)
        opened = torch.where(x < 1e-6, -log_x, -torch.log(-torch.expm1(-x.clamp(min=1e-6))))
        opened = torch.where(use[:, :, None], opened, torch.zeros_like(opened))  # rows of no evidence: -inf logs
        total = total + ((closed + opened).mean(-1) * use).sum() / use.sum()
    return total / len(trace)


def evidence_selected(trace, ev, ans, chunk_size):
    """Per upper group: (answer positions with visible evidence, of which an evidence chunk was selected, the
    summed slot weight on evidence chunks), all summed over the batch and averaged over retrieval heads."""
    _, _, use = evidence_targets(ev, ans, chunk_size)
    if ev.shape[1] == 0:  # rows of at most one chunk: nothing selectable
        return [(0.0, 0.0, 0.0) for _ in trace]
    out = []
    for tr in trace:
        ids, w = tr["ids"], tr["weights"].float()                      # (B, L, h, K)
        hit = torch.gather(ev[:, None, None, :].expand(*ids.shape[:3], ev.shape[1]), -1, ids.clamp(min=0)) & (ids >= 0)
        u = use[:, :, None].float()
        out.append((float(use.sum()), float((hit.any(-1).float() * u).mean(-1).sum()),
                    float(((w * hit).sum(-1) * u).mean(-1).sum())))
    return out


@torch.no_grad()
def evaluate(model, ds, device, max_rows=None, precision="bf16"):
    """Teacher-forced exact match per task: every answer token is the argmax at its position. For HSA models also
    the retrieval weight mass per upper group: the sum of the K slot weights at the answer positions, averaged
    (stick-breaking: near 0 or 1 when the gates are saturated; always 1 with softmax weights); and where the
    data carries markers, per group the share of answer positions (with evidence in a complete chunk) whose
    selection holds an evidence chunk (`evidence_hit`; not the harness's per-marker retrieval recall) and the
    weight those chunks get (`evidence_weight`)."""
    model.eval()
    stats = {}
    # The same rows every time: the first held-out rows of each task at the evaluation length.
    L = max(r.length for r in ds.rows_heldout) if ds.rows_heldout else 0
    by_task = {}
    for r in ds.rows_heldout:
        if r.length == L:
            by_task.setdefault(r.task, []).append(r)
    per_task = max(1, max_rows // max(1, len(by_task))) if max_rows else None
    rows = [r for t in sorted(by_task) for r in by_task[t][:per_task]]
    for r in rows:
        ids, tgt, ans, _ = ds.batch([r])
        ids, tgt, ans = ids.to(device), tgt.to(device), ans.to(device)
        with autocast(device, precision):
            logits, trace = model(ids, return_trace=True)
        pred = logits.argmax(-1)
        ok = bool(((pred == tgt) | (ans == 0)).all())
        tok_acc = float(((pred == tgt).float() * ans).sum() / ans.sum().clamp(min=1))
        s = stats.setdefault(r.task, {"n": 0, "exact": 0, "token_acc": 0.0, "mass": [0.0] * len(trace),
                                      "ev": [[0.0, 0.0, 0.0] for _ in trace]})
        for g, tr in enumerate(trace):                 # weights (B, L, h_r, K) -> mass at the answer positions
            m = tr["weights"].float().sum(-1).mean(-1)
            s["mass"][g] += float((m * ans).sum() / ans.sum().clamp(min=1))
        if trace and ds.evidence(r) is not None:
            S = model.cfg.hsa.chunk_size
            ev = ds.evidence_chunks([r], trace[0]["scores"].shape[-1], S).to(device)
            for g, e in enumerate(evidence_selected(trace, ev, ans, S)):
                s["ev"][g] = [a + b for a, b in zip(s["ev"][g], e)]
        s["n"] += 1
        s["exact"] += int(ok)
        s["token_acc"] += tok_acc
    model.train()
    out = {}
    for t, s in stats.items():
        out[t] = {"n": s["n"], "length": L, "exact_match": s["exact"] / s["n"], "token_acc": s["token_acc"] / s["n"]}
        if s["mass"]:
            out[t]["retrieval_mass"] = [round(m / s["n"], 4) for m in s["mass"]]
        if any(e[0] > 0 for e in s["ev"]):
            out[t]["evidence_hit"] = [round(e[1] / max(e[0], 1), 4) for e in s["ev"]]
            out[t]["evidence_weight"] = [round(e[2] / max(e[0], 1), 4) for e in s["ev"]]
    return out


def load_checkpoint(path):
    """Our own checkpoints hold plain Python state next to tensors; torch >= 2.6 loads weights only by default."""
    try:
        return torch.load(path, map_location="cpu", weights_only=False)
    except TypeError:  # torch without the weights_only argument
        return torch.load(path, map_location="cpu")


def init_weights_from(path):
    """Model weights (fp32) from a run's checkpoint.pt, a run directory, or an exported model directory
    (model.safetensors, any stored dtype): how a training stage starts from an earlier one, also one whose
    optimizer state stayed behind on another machine."""
    if os.path.isdir(path):
        if os.path.exists(os.path.join(path, "checkpoint.pt")):
            path = os.path.join(path, "checkpoint.pt")
        elif os.path.exists(os.path.join(path, "model.safetensors")):
            path = os.path.join(path, "model.safetensors")
    if not os.path.isfile(path):
        raise SystemExit(f"train: --init: no checkpoint.pt or model.safetensors at '{path}'")
    if path.endswith(".safetensors"):
        return {k: v.float() for k, v in load_file(path).items()}
    return load_checkpoint(path)["model"]


def save_checkpoint(path, model, opt, state):
    tmp = path + ".tmp"
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "state": state,
                "rng_cpu": torch.get_rng_state(),
                "rng_cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}, tmp)
    os.replace(tmp, path)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", required=True, help="model config.json")
    ap.add_argument("--data", required=True, help="comma list of .h5 token datasets")
    ap.add_argument("--out", required=True, help="run directory (checkpoint.pt, log.jsonl)")
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--tokens-per-batch", type=int, default=65536)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--weight-decay", type=float, default=0.1)
    ap.add_argument("--clip", type=float, default=1.0)
    ap.add_argument("--lm-weight", type=float, default=0.0, help="weight of the LM loss outside the answer span")
    ap.add_argument("--retrieval-loss", type=float, default=0.0,
                    help="weight of a loss on the retrieval scores at the answer positions that aims the selection at "
                    "the evidence chunks (needles, vt chain lines, supporting facts; from the datasets' markers): "
                    "supervision of the selection in training, off by default")
    ap.add_argument("--gumbel", type=float, default=0.0, help="Gumbel noise scale on retrieval scores in training")
    ap.add_argument("--eval-every", type=int, default=250)
    ap.add_argument("--eval-rows", type=int, default=200)
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--time-budget-min", type=float, default=0.0, help="stop (and checkpoint) after this many minutes")
    ap.add_argument("--stop-after", type=int, default=0, help="checkpoint and stop at this step (as if killed)")
    ap.add_argument("--init", default="", help="start from the model weights of this checkpoint.pt, run directory or exported model "
                    "directory (a curriculum stage: fresh optimizer, schedule and data cursor)")
    ap.add_argument("--precision", default="bf16", choices=["bf16", "fp32"], help="on CUDA: bf16 autocast or plain fp32")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--freeze", default="", help="regular expression: parameters whose names match are not trained "
                    "(e.g. 'retrieval|memory' keeps the retrieval scores at their initial scale while the windows "
                    "learn to copy); a baseline without such parameters trains them all")
    ap.add_argument("--window", type=int, default=0, help="train with this sliding window instead of the config's "
                    "(the weights do not depend on it): a short window makes retrieval necessary on short samples")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args(argv)

    torch.manual_seed(args.seed)
    device = torch.device(args.device)
    cfg = ModelConfig.from_json(args.config)
    if args.window < 0:
        raise SystemExit(f"train: --window must be >= 1 (or 0: the config's), got {args.window}")
    if args.window:
        if cfg.window is None:
            raise SystemExit(f"train: --window: {args.config} has no sliding window (architecture {cfg.architecture})")
        cfg.sliding_window = args.window
    ds = TokenDatasets(args.data.split(","))
    if args.retrieval_loss < 0:
        raise SystemExit(f"train: --retrieval-loss must be >= 0, got {args.retrieval_loss}")
    if args.retrieval_loss > 0 and not cfg.is_hsa:  # a recipe shared with a baseline, as with --freeze
        print(f"train: --retrieval-loss ignored: {args.config} has no retrieval (architecture {cfg.architecture})",
              file=sys.stderr)
        args.retrieval_loss = 0.0
    if args.retrieval_loss > 0:
        bare = ds.files_without_markers()
        if bare:
            raise SystemExit(f"train: --retrieval-loss needs markers; '{bare[0]}' has none (written by an older "
                             "`hsa generate`: generate it again)")
    model = HSAModel(cfg)
    model.init_weights(args.seed)
    model.to(device)
    if hasattr(model, "gumbel_scale"):
        model.gumbel_scale = args.gumbel
    if args.freeze:
        try:
            frozen = [p for n, p in model.named_parameters() if re.search(args.freeze, n)]
        except re.error as e:
            raise SystemExit(f"train: --freeze '{args.freeze}': {e}")
        if not frozen and cfg.is_hsa:
            raise SystemExit(f"train: --freeze '{args.freeze}' matches no parameter of {args.config}")
        for p in frozen:
            p.requires_grad_(False)
        print(f"frozen: {len(frozen)} tensors ({sum(p.numel() for p in frozen):,} parameters)", file=sys.stderr)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and p.requires_grad]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2 and p.requires_grad]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                             {"params": no_decay, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.95))
    os.makedirs(args.out, exist_ok=True)
    ckpt = os.path.join(args.out, "checkpoint.pt")
    state = {"step": 0, "epoch": 0, "batch": 0, "tokens": 0, "seconds": 0.0, "args": vars(args)}
    if args.init and not os.path.exists(ckpt):
        model.load_state_dict(init_weights_from(args.init))
        print(f"initialized from {args.init}", file=sys.stderr)
    if os.path.exists(ckpt):
        c = load_checkpoint(ckpt)
        model.load_state_dict(c["model"])
        opt.load_state_dict(c["opt"])
        state.update(c["state"])
        torch.set_rng_state(c["rng_cpu"])
        if c["rng_cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(c["rng_cuda"])
        print(f"resumed from step {state['step']}", file=sys.stderr)
    state["device"] = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    state["torch"] = str(torch.__version__)
    log = open(os.path.join(args.out, "log.jsonl"), "a")
    n_params = sum(p.numel() for p in model.parameters())
    print(f"model: {n_params / 1e6:.2f}M parameters; train rows {len(ds.rows_train)}, held-out {len(ds.rows_heldout)}",
          file=sys.stderr)

    model.train()
    t_start = time.time() - state["seconds"]
    stream = batches(ds, args.seed, state["epoch"], args.tokens_per_batch)
    for _ in range(state["batch"]):  # skip to the saved cursor (index arithmetic only)
        next(stream, None)
    stop = False
    while state["step"] < args.steps and not stop:
        rows = next(stream, None)
        if rows is None:
            state["epoch"] += 1
            state["batch"] = 0
            stream = batches(ds, args.seed, state["epoch"], args.tokens_per_batch)
            continue
        state["batch"] += 1
        ids, tgt, ans, lm = (t.to(device) for t in ds.batch(rows))
        for g in opt.param_groups:
            g["lr"] = lr_at(state["step"], state["seconds"], args)
        with autocast(device, args.precision):
            if args.retrieval_loss > 0:
                logits, trace = model(ids, return_trace=True)
            else:
                logits, trace = model(ids), None
        ce = F.cross_entropy(logits.float().reshape(-1, logits.size(-1)), tgt.reshape(-1), reduction="none").view_as(ans)
        loss_ans = (ce * ans).sum() / ans.sum().clamp(min=1)
        loss = loss_ans
        if args.lm_weight > 0:
            loss = loss + args.lm_weight * (ce * lm).sum() / lm.sum().clamp(min=1)
        loss_ret = None
        if trace:
            ev = ds.evidence_chunks(rows, trace[0]["scores"].shape[-1], cfg.hsa.chunk_size).to(device)
            loss_ret = retrieval_loss(trace, ev, ans, cfg.hsa.chunk_size)
            if loss_ret is not None:
                loss = loss + args.retrieval_loss * loss_ret
        opt.zero_grad(set_to_none=True)
        loss.backward()
        gnorm = torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
        opt.step()
        state["step"] += 1
        state["tokens"] += int(ids.numel())
        state["seconds"] = time.time() - t_start
        rec = {"step": state["step"], "loss_answer": float(loss_ans), "loss": float(loss), "grad_norm": float(gnorm),
               "lr": opt.param_groups[0]["lr"], "tokens": state["tokens"], "seconds": round(state["seconds"], 2),
               "length": rows[0].length}
        if loss_ret is not None:
            rec["loss_retrieval"] = float(loss_ret)
        budget_hit = args.time_budget_min > 0 and state["seconds"] > args.time_budget_min * 60
        if state["step"] % args.eval_every == 0 or state["step"] == args.steps or budget_hit:
            rec["heldout"] = evaluate(model, ds, device, args.eval_rows, args.precision)
        log.write(json.dumps(rec) + "\n")
        log.flush()
        tps = state["tokens"] / max(state["seconds"], 1e-9)
        print(f"\rstep {state['step']}/{args.steps} loss {float(loss_ans):.4f} {tps / 1e3:.0f}K tok/s "
              f"{state['seconds'] / 60:.1f} min", end="", file=sys.stderr)
        if "heldout" in rec:
            print("  " + " ".join(f"{t}:{v['exact_match']:.2f}" for t, v in sorted(rec["heldout"].items())), file=sys.stderr)
        if state["step"] % args.ckpt_every == 0 or state["step"] in (args.steps, args.stop_after) or budget_hit:
            save_checkpoint(ckpt, model, opt, state)
        stop = budget_hit or state["step"] == args.stop_after
    save_checkpoint(ckpt, model, opt, state)
    print(file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
