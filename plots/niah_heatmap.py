#!/usr/bin/env python3
"""Needle-in-a-haystack heatmap: mean score (%) by needle depth (the rows' `depth`, binned into 10 bins)
and context length, for one model and one NIAH task. Cells without samples are grey.

    python3 plots/niah_heatmap.py RUN_DIR [RUN_DIR...] --out OUT_PREFIX [--model M] [--task niah_single_1]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results as R  # noqa: E402
from results import np, plt  # noqa: E402

BINS = 10


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    R.add_common_args(p)
    p.add_argument("--model", default=None, help="model (default: the only one in the runs)")
    p.add_argument("--task", default=None, help="NIAH task (default: niah_single_1 if present, else the first niah_* task)")
    p.add_argument("--no-annotate", action="store_true", help="do not print the value in each cell")
    a = p.parse_args()

    def run():
        res = R.load(a.run_dirs, need_samples=True)
        if not res.samples:
            raise R.ResultsError("no sample rows in %s: the heatmap needs samples.jsonl (depths)" % ", ".join(a.run_dirs))
        models = sorted({r["_model"] for r in res.samples}, key=res.models.index)
        if a.model is None:
            if len(models) > 1:
                raise R.ResultsError("the runs hold several models (%s): choose one with --model" % ", ".join(models))
            model = models[0]
        elif a.model not in models:
            raise R.ResultsError("unknown model '%s'; the runs hold: %s" % (a.model, ", ".join(models)))
        else:
            model = a.model
        rows = [r for r in res.samples if r["_model"] == model]
        tasks = sorted({r["task"] for r in rows})
        niah = [t for t in tasks if t.startswith("niah")]
        task = a.task or ("niah_single_1" if "niah_single_1" in niah else (niah[0] if niah else None))
        if task is None:
            raise R.ResultsError("model '%s' has no niah_* task rows (tasks: %s); pass --task" % (model, ", ".join(tasks)))
        if task not in tasks:
            raise R.ResultsError("model '%s' has no rows of task '%s' (tasks: %s)" % (model, task, ", ".join(tasks)))
        rows = [r for r in rows if r["task"] == task]
        with_depth = [r for r in rows if isinstance(r.get("depth"), (int, float))]
        if not with_depth:
            raise R.ResultsError("%s / %s: no row has a numeric 'depth'" % (model, task))
        lengths = sorted({r["length"] for r in with_depth})
        total = np.zeros((BINS, len(lengths)))
        count = np.zeros((BINS, len(lengths)))
        for r in with_depth:
            d = min(max(float(r["depth"]), 0.0), 1.0)
            b = min(int(d * BINS), BINS - 1)
            j = lengths.index(r["length"])
            total[b, j] += float(r["score"])
            count[b, j] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(count > 0, 100 * total / np.maximum(count, 1), np.nan)

        w = max(R.PANEL_W, 1.6 + 0.55 * len(lengths))
        fig, ax = plt.subplots(figsize=(w, R.PANEL_H + 1.2), dpi=a.dpi)
        cmap = plt.get_cmap("RdYlGn").copy()
        cmap.set_bad("0.85")
        im = ax.imshow(np.ma.masked_invalid(mean), cmap=cmap, vmin=0, vmax=100, aspect="auto", origin="upper",
                       interpolation="nearest")
        ax.set_xticks(range(len(lengths)))
        ax.set_xticklabels([R.length_label(l) for l in lengths], rotation=45 if len(lengths) > 6 else 0, fontsize=8)
        ax.set_yticks(range(BINS))
        ax.set_yticklabels(["%d-%d%%" % (100 * b // BINS, 100 * (b + 1) // BINS) for b in range(BINS)], fontsize=8)
        ax.set_xlabel("context length (tokens)")
        ax.set_ylabel("needle depth")
        if not a.no_annotate and len(lengths) <= 16:
            for b in range(BINS):
                for j in range(len(lengths)):
                    if count[b, j] > 0:
                        ax.text(j, b, "%.0f" % mean[b, j], ha="center", va="center", fontsize=7,
                                color="black" if 25 < mean[b, j] < 85 else "white")
        fig.colorbar(im, ax=ax, label="mean score (%)")
        ax.set_title(a.title or "%s: %s (n = %d)" % (model, task, len(with_depth)), fontsize=10)
        fig.tight_layout()
        R.save(fig, a.out)

    R.main_wrapper("niah_heatmap", run)


if __name__ == "__main__":
    main()
