#!/usr/bin/env python3
"""Accuracy vs context length: one line per model with its 95% interval as a band, one panel per task
(or, with --family, one panel per family headline mean: RULER's task mean, BABILong's qa1-qa5 mean),
on a log2 length axis; a dashed vertical line marks the training length (--train-length). For HSA models the
per-task panels also show the retrieval recall (share of the evidence in a selected chunk, docs/results.md) as
a dotted line of the model's colour, unless --no-recall.

    python3 plots/accuracy_vs_length.py RUN_DIR [RUN_DIR...] --out OUT_PREFIX [--family] [--train-length 4K]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results as R  # noqa: E402
from results import plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    R.add_common_args(p)
    p.add_argument("--family", action="store_true", help="one panel per family mean instead of per task")
    p.add_argument("--tasks", default="", help="comma list of tasks to show (default: all)")
    p.add_argument("--models", default="", help="comma list of models, in legend order (default: all)")
    p.add_argument("--train-length", default=None, metavar="L", help="training length, e.g. 4K: dashed vertical line")
    p.add_argument("--no-recall", action="store_true", help="do not draw the retrieval recall of HSA models")
    p.add_argument("--cols", type=int, default=3, help="panels per row (default %(default)s)")
    a = p.parse_args()

    def run():
        train = R.parse_length(a.train_length) if a.train_length else None
        res = R.load(a.run_dirs)
        models = R.select_models(res, a.models)
        if a.family:
            families = [f for f in ("ruler", "babilong") if any(res.family(t) == f for t in res.tasks())]
            panels = [(f, None) for f in families]
        else:
            tasks = res.tasks()
            if a.tasks:
                want = [t.strip() for t in a.tasks.split(",") if t.strip()]
                unknown = [t for t in want if t not in tasks]
                if unknown:
                    raise R.ResultsError("unknown task(s) %s; the runs hold: %s" % (", ".join(unknown), ", ".join(tasks)))
                tasks = want
            panels = [(None, t) for t in tasks]
        if not panels:
            raise R.ResultsError("nothing to plot: no cells in the runs")

        rows, cols = R.grid(len(panels), max(1, a.cols))
        fig, axes = plt.subplots(rows, cols, figsize=R.figure_size(rows, cols), dpi=a.dpi, squeeze=False)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        all_lengths = res.lengths()
        handles = {}
        shown = {t for _, t in panels}
        recall_drawn = not a.family and not a.no_recall and any(
            c.recall is not None for (m, t, _), c in res.cells.items() if m in models and t in shown)
        for i, (family, task) in enumerate(panels):
            ax = axes[i // cols][i % cols]
            for j, m in enumerate(models):
                color = colors[j % len(colors)]
                if family:
                    pts = [(l, res.family_mean(m, l, family)) for l in res.lengths(model=m)]
                    pts = [(l, v) for l, v in pts if v is not None]
                    if not pts:
                        continue
                    xs, ys = zip(*pts)
                    (h,) = ax.plot(xs, ys, "o-", color=color, label=m, ms=4)
                else:
                    cs = [(l, res.cells[(m, task, l)]) for l in res.lengths(model=m, task=task)]
                    cs = [(l, c) for l, c in cs if c.mean is not None]
                    if not cs:
                        continue
                    xs = [l for l, _ in cs]
                    (h,) = ax.plot(xs, [c.mean for _, c in cs], "o-", color=color, label=m, ms=4)
                    rec = [(l, c.recall) for l, c in cs if c.recall is not None]
                    if rec and not a.no_recall:
                        ax.plot(*zip(*rec), ":", color=color, linewidth=1.5)
                    band = [(l, c.lo, c.hi) for l, c in cs if c.lo is not None]
                    if band:
                        bx, blo, bhi = zip(*band)
                        ax.fill_between(bx, blo, bhi, color=color, alpha=0.18, linewidth=0)
                handles[m] = h
            if train:
                hl = ax.axvline(train, color="0.3", linestyle="--", linewidth=1, label="train length (%s)" % R.length_label(train))
                handles["train length (%s)" % R.length_label(train)] = hl
            R.log2_length_axis(ax, all_lengths + ([train] if train else []))
            ax.set_ylim(-3, 103)
            ax.grid(True, alpha=0.3)
            if family:
                ax.set_title({"ruler": "RULER (task mean)", "babilong": "BABILong (qa1-qa5 mean)"}.get(family, family), fontsize=10)
            else:
                ax.set_title(task, fontsize=10)
            if i % cols == 0:
                ax.set_ylabel("accuracy, recall (%)" if recall_drawn else "accuracy (%)")
            if i // cols == rows - 1 or i + cols >= len(panels):
                ax.set_xlabel("context length (tokens)")
        for k in range(len(panels), rows * cols):
            axes[k // cols][k % cols].set_visible(False)
        if recall_drawn:  # after the models, whose order --models sets
            handles["retrieval recall (dotted)"] = Line2D([], [], linestyle=":", color="0.4", linewidth=1.5)
        labels = list(handles)
        note = "" if a.family else "  (bands: 95% interval)"
        fig.legend([handles[k] for k in labels], labels, loc="lower center", ncol=min(len(labels), 5), fontsize=8,
                   frameon=False, title=("accuracy vs length" + note) if not a.title else None, title_fontsize=8)
        if a.title:
            fig.suptitle(a.title)
        W, H = fig.get_size_inches()
        fig.tight_layout(rect=(0, R.LEGEND_H / H, 1, 1))
        R.save(fig, a.out)

    R.main_wrapper("accuracy_vs_length", run)


if __name__ == "__main__":
    main()
