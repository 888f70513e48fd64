#!/usr/bin/env python3
"""Dense causal attention on the GPU through torch's scaled_dot_product_attention, the baseline HSA is
measured against: at which length does one full-attention layer cost more than the HSA model's machinery?

Shapes as in bench/bench_cuda.cpp's paper-size model: batch 1, 16 heads of 64 (q, k and v all 16 heads),
causal, bf16 and fp32, lengths 4K doubling up to 128K by default (as far as memory and the time budget
allow: a length that runs out of memory, or whose estimated time would exceed the budget, is recorded as
skipped and longer lengths of that dtype are not tried). torch picks the kernel (FlashAttention for bf16,
memory-efficient attention for fp32 on Hopper); the enabled backends are recorded.

Timing: CUDA events around each call, `--warmup` calls first, the median of `--reps` calls.
FLOPs of one call (one layer, all heads): 4 * H * dh * L (L + 1) / 2 -- QK^T and PV over the causal
triangle including the diagonal, a multiply-add counted as 2; softmax not counted. Bytes: q, k, v read and
the output written once, 4 * L * H * dh * element size.

Without torch or without a CUDA device it prints why, writes {"kind": "sdpa_baseline", "skipped": reason}
to --out and exits 0.

    python3 tools/sdpa_baseline.py --out OUTDIR/sdpa_baseline.json [--lengths 4096,8192] [--dtypes bf16,fp32]
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import sys
import time


def causal_flops(length: int, heads: int, head_dim: int) -> float:
    """FLOPs of causal attention over `length` tokens (QK^T and PV on the lower triangle with diagonal)."""
    return 4.0 * heads * head_dim * length * (length + 1) / 2.0


def attention_bytes(length: int, heads: int, head_dim: int, elem: int) -> float:
    """Compulsory traffic: q, k, v read and the output written once."""
    return 4.0 * length * heads * head_dim * elem


def parse_list(text: str) -> list[str]:
    return [t for t in text.replace(",", " ").split() if t]


def write(path: str | None, doc: dict) -> None:
    if path:
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path, "w", encoding="utf-8") as f:
            json.dump(doc, f, indent=2)
            f.write("\n")


def skip(path: str | None, reason: str) -> int:
    print(f"sdpa_baseline: skipped: {reason}")
    write(path, {"kind": "sdpa_baseline", "skipped": reason})
    return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lengths", default=os.environ.get("SDPA_LENGTHS", "4096 8192 16384 32768 65536 131072"),
                    help="sequence lengths (env SDPA_LENGTHS)")
    ap.add_argument("--max-length", type=int, default=int(os.environ.get("SDPA_MAX_LEN", "0") or 0),
                    help="drop lengths above this (env SDPA_MAX_LEN; 0: no cap)")
    ap.add_argument("--dtypes", default=os.environ.get("SDPA_DTYPES", "bf16 fp32"))
    ap.add_argument("--heads", type=int, default=16)
    ap.add_argument("--head-dim", type=int, default=64)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--budget-s", type=float, default=float(os.environ.get("SDPA_BUDGET_S", "90")),
                    help="stop starting lengths whose estimated time would pass this (env SDPA_BUDGET_S)")
    ap.add_argument("--out", default=None, help="JSON output file")
    args = ap.parse_args(argv)

    try:
        import torch
        import torch.nn.functional as F
    except Exception as e:  # noqa: BLE001 - any import failure means no baseline here
        return skip(args.out, f"torch is not importable ({type(e).__name__}: {e})")
    if not torch.cuda.is_available():
        return skip(args.out, f"torch {torch.__version__} sees no CUDA device")

    lengths = sorted({int(x) for x in parse_list(args.lengths)})
    if args.max_length > 0:
        lengths = [n for n in lengths if n <= args.max_length]
    dtypes = {"bf16": torch.bfloat16, "fp16": torch.float16, "fp32": torch.float32}
    H, dh = args.heads, args.head_dim
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(dev)
    context = {
        "device": f"{props.name}, {props.total_memory >> 20} MiB",
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "batch": 1, "heads": H, "head_dim": dh, "causal": True,
        "flash_sdp_enabled": torch.backends.cuda.flash_sdp_enabled(),
        "mem_efficient_sdp_enabled": torch.backends.cuda.mem_efficient_sdp_enabled(),
        "math_sdp_enabled": torch.backends.cuda.math_sdp_enabled(),
        "allow_tf32_matmul": torch.backends.cuda.matmul.allow_tf32,
        "warmup": args.warmup, "reps": args.reps,
    }
    results = []
    t_start = time.monotonic()
    for name in parse_list(args.dtypes):
        if name not in dtypes:
            results.append({"dtype": name, "length": 0, "error": f"unknown dtype {name}"})
            continue
        dtype, elem = dtypes[name], torch.empty((), dtype=dtypes[name]).element_size()
        last = None  # (length, seconds) of the previous length of this dtype
        stop = None
        for L in lengths:
            row = {"dtype": name, "length": L}
            if stop:
                row["error"] = stop
                results.append(row)
                continue
            spent = time.monotonic() - t_start
            if last is not None:
                estimate = last[1] * (L / last[0]) ** 2 * (args.warmup + args.reps)
                if spent + estimate > args.budget_s:
                    stop = f"estimated {estimate:.0f}s would pass the budget of {args.budget_s:.0f}s"
                    row["error"] = stop
                    results.append(row)
                    continue
            try:
                g = torch.Generator(device=dev).manual_seed(L)
                q, k, v = (torch.randn(1, H, L, dh, device=dev, dtype=dtype, generator=g) for _ in range(3))
                for _ in range(args.warmup):
                    F.scaled_dot_product_attention(q, k, v, is_causal=True)
                torch.cuda.synchronize()
                times = []
                for _ in range(args.reps):
                    a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
                    a.record()
                    out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
                    b.record()
                    b.synchronize()
                    times.append(a.elapsed_time(b) * 1e-3)
                if not torch.isfinite(out.float()).all():
                    raise RuntimeError("non-finite output")
                times.sort()
                t = times[len(times) // 2] if len(times) % 2 else 0.5 * (times[len(times) // 2 - 1] + times[len(times) // 2])
                flops = causal_flops(L, H, dh)
                nbytes = attention_bytes(L, H, dh, elem)
                row.update(ms=t * 1e3, ms_min=times[0] * 1e3, flops=flops, bytes=nbytes, tflops=flops / t / 1e12,
                           gbs=nbytes / t / 1e9, ms_per_1k_tokens=t * 1e3 / (L / 1000.0))
                last = (L, t)
                del q, k, v, out
            except torch.cuda.OutOfMemoryError as e:
                stop = f"out of memory at {L} ({str(e).splitlines()[0][:120]})"
                row["error"] = stop
            except RuntimeError as e:  # e.g. no kernel for this dtype and shape
                row["error"] = str(e).splitlines()[0][:200]
            torch.cuda.empty_cache()
            results.append(row)

    doc = {"kind": "sdpa_baseline", "context": context, "results": results}
    write(args.out, doc)
    print(f"sdpa_baseline: {context['device']}, torch {context['torch']}; causal, 1 x {H} heads x {dh}")
    print(f"{'dtype':6} {'length':>8} {'ms':>10} {'TFLOP/s':>9} {'GB/s':>8}  note")
    for r in results:
        if "error" in r:
            print(f"{r['dtype']:6} {r['length']:>8} {'-':>10} {'-':>9} {'-':>8}  {r['error']}")
        else:
            print(f"{r['dtype']:6} {r['length']:>8} {r['ms']:>10.3f} {r['tflops']:>9.1f} {r['gbs']:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
