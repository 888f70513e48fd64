#!/usr/bin/env python3
"""Cost vs context length, log-log: peak memory (device, and host dotted) and prefill tokens/s per model,
next to analytic dense-attention costs for contrast: the dense KV cache, 2 * layers * kv_heads * head_dim
* bytes * L, and prefill throughput when attention FLOPs (2 * layers * heads * head_dim * L^2, causal) dominate.
The dense constants are flags and are stated in the legend, marked "analytic".

    python3 plots/memory_throughput.py RUN_DIR [RUN_DIR...] --out OUT_PREFIX [--layers 32 --kv-heads 8 ...]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results as R  # noqa: E402
from results import np, plt  # noqa: E402

GIB = float(1 << 30)
FIGSIZE = (2 * R.PANEL_W + 1.0, R.PANEL_H + 2.0)  # two panels, legends below them


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    R.add_common_args(p)
    p.add_argument("--models", default="", help="comma list of models, in legend order (default: all)")
    p.add_argument("--task", default=None, help="only this task's cells (default: all tasks; memory = max, tokens/s = median)")
    g = p.add_argument_group("dense-attention reference (analytic)")
    g.add_argument("--layers", type=int, default=32, help="layers (default %(default)s)")
    g.add_argument("--heads", type=int, default=32, help="query heads (default %(default)s)")
    g.add_argument("--kv-heads", type=int, default=8, help="KV heads (default %(default)s)")
    g.add_argument("--head-dim", type=int, default=128, help="head dimension (default %(default)s)")
    g.add_argument("--bytes", type=float, default=2, help="bytes per KV element (default %(default)s: bf16)")
    g.add_argument("--flops-per-second", type=float, default=None,
                   help="attained FLOP/s for the dense throughput line; default: anchored to the first model's "
                        "measured tokens/s at its shortest length")
    g.add_argument("--no-dense", action="store_true", help="leave the analytic lines out")
    a = p.parse_args()

    def run():
        for name in ("layers", "heads", "kv_heads", "head_dim", "bytes"):
            if getattr(a, name) <= 0:
                raise R.ResultsError("--%s must be positive" % name.replace("_", "-"))
        if a.flops_per_second is not None and a.flops_per_second <= 0:
            raise R.ResultsError("--flops-per-second must be positive")
        res = R.load(a.run_dirs)
        models = R.select_models(res, a.models)
        if a.task and a.task not in res.tasks():
            raise R.ResultsError("unknown task '%s'; the runs hold: %s" % (a.task, ", ".join(res.tasks())))

        # Per (model, length): peak bytes = max over the tasks' cells; tokens/s = median.
        series = {}
        for m in models:
            pts = {}
            for (mm, t, l), c in res.cells.items():
                if mm != m or (a.task and t != a.task):
                    continue
                e = pts.setdefault(l, {"host": [], "device": [], "tps": []})
                for k, v in (("host", c.host), ("device", c.device), ("tps", c.tps)):
                    if v is not None and v > 0:
                        e[k].append(v)
            series[m] = {l: {"host": max(e["host"]) if e["host"] else None,
                             "device": max(e["device"]) if e["device"] else None,
                             "tps": float(np.median(e["tps"])) if e["tps"] else None} for l, e in sorted(pts.items())}
        if not any(v[k] for s in series.values() for v in s.values() for k in ("host", "device", "tps")):
            raise R.ResultsError("no memory or throughput measurements (peak_*_bytes, prefill_tokens_per_second) "
                                 "in %s" % ", ".join(a.run_dirs))

        lengths = sorted({l for s in series.values() for l in s})
        fig, (axm, axt) = plt.subplots(1, 2, figsize=FIGSIZE, dpi=a.dpi)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        for j, m in enumerate(models):
            col = colors[j % len(colors)]
            s = series[m]
            for key, style, tag in (("device", "o-", "device"), ("host", "s:", "host")):
                xy = [(l, v[key] / GIB) for l, v in s.items() if v[key]]
                if xy:
                    axm.plot(*zip(*xy), style, color=col, ms=4, label="%s (%s)" % (m, tag))
            xy = [(l, v["tps"]) for l, v in s.items() if v["tps"]]
            if xy:
                axt.plot(*zip(*xy), "o-", color=col, ms=4, label=m)

        if not a.no_dense and lengths:
            L = np.array([2.0 ** e for e in np.arange(np.log2(lengths[0]), np.log2(lengths[-1]) + 0.01, 0.25)])
            kv = 2 * a.layers * a.kv_heads * a.head_dim * a.bytes * L
            axm.plot(L, kv / GIB, "k--", lw=1.2,
                     label="dense KV cache, analytic:\n2·%d layers·%d kv_heads·%d head_dim·%g B·L"
                           % (a.layers, a.kv_heads, a.head_dim, a.bytes))
            per_token = 2.0 * a.layers * a.heads * a.head_dim  # attention FLOPs / L^2; tokens/s = F / (per_token * L)
            if a.flops_per_second:
                F, how = a.flops_per_second, "at %.3g FLOP/s" % a.flops_per_second
            else:
                anchor = next(((m, l, v["tps"]) for m in models for l, v in series[m].items() if v["tps"]), None)
                F, how = (anchor[2] * per_token * anchor[1], "anchored to %s at %s" % (anchor[0], R.length_label(anchor[1]))) \
                    if anchor else (None, "")
            if F:
                axt.plot(L, F / (per_token * L), "k--", lw=1.2,
                         label="dense attention, analytic: FLOPs =\n2·%d layers·%d heads·%d head_dim·L²,\n%s"
                               % (a.layers, a.heads, a.head_dim, how))
        for ax, ylabel, title in ((axm, "peak memory (GiB)", "peak memory"),
                                  (axt, "prefill tokens / s", "prefill throughput")):
            ax.set_yscale("log")
            R.log2_length_axis(ax, lengths)
            ax.set_xlabel("context length (tokens)")
            ax.set_ylabel(ylabel)
            ax.set_title(title, fontsize=10)
            ax.grid(True, which="both", alpha=0.25)
            ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=2, frameon=False)
        if a.title:
            fig.suptitle(a.title)
        fig.tight_layout()
        R.save(fig, a.out)

    R.main_wrapper("memory_throughput", run)


if __name__ == "__main__":
    main()
