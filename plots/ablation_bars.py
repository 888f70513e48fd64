#!/usr/bin/env python3
"""Ablation bars: the per-length headline mean (RULER's task mean or BABILong's qa1-qa5 mean) of several
models (ablation variants), grouped by length, at chosen lengths. A missing value is marked "n/a".

    python3 plots/ablation_bars.py RUN_DIR [RUN_DIR...] --out OUT_PREFIX [--family ruler] [--lengths 4K,64K,1M]
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import results as R  # noqa: E402
from results import np, plt  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    R.add_common_args(p)
    p.add_argument("--family", choices=("ruler", "babilong"), default="ruler", help="which mean (default %(default)s)")
    p.add_argument("--lengths", default="", help="comma list, e.g. 4K,64K,1M (default: every length of the runs)")
    p.add_argument("--models", default="", help="comma list of models (variants), in bar order (default: all)")
    a = p.parse_args()

    def run():
        res = R.load(a.run_dirs)
        models = R.select_models(res, a.models)
        if a.lengths:
            lengths = [R.parse_length(x) for x in a.lengths.split(",") if x.strip()]
            have = set(res.lengths())
            missing = [R.length_label(l) for l in lengths if l not in have]
            if missing:
                raise R.ResultsError("no results at length(s) %s; the runs hold: %s"
                                     % (", ".join(missing), ", ".join(R.length_label(l) for l in sorted(have))))
        else:
            lengths = res.lengths()
        values = np.array([[res.family_mean(m, l, a.family) if res.family_mean(m, l, a.family) is not None else np.nan
                            for l in lengths] for m in models], dtype=float)
        if np.all(np.isnan(values)):
            raise R.ResultsError("no %s results for %s at %s" % (a.family, ", ".join(models),
                                                                 ", ".join(R.length_label(l) for l in lengths)))

        width_in = max(R.PANEL_W * 1.5, 1.2 + 0.35 * len(models) * len(lengths) + 0.3 * len(lengths))
        fig, ax = plt.subplots(figsize=(width_in, R.PANEL_H + R.LEGEND_H), dpi=a.dpi)
        colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
        x = np.arange(len(lengths))
        bw = 0.8 / max(1, len(models))
        for j, m in enumerate(models):
            pos = x - 0.4 + bw * (j + 0.5)
            v = values[j]
            ok = ~np.isnan(v)
            bars = ax.bar(pos[ok], v[ok], bw * 0.95, color=colors[j % len(colors)], label=m)
            for b, val in zip(bars, v[ok]):
                ax.annotate("%.1f" % val, (b.get_x() + b.get_width() / 2, val), xytext=(0, 2), textcoords="offset points",
                            ha="center", va="bottom", fontsize=6.5)
            for px in pos[~ok]:
                ax.text(px, 1, "n/a", ha="center", va="bottom", fontsize=6.5, rotation=90, color="0.4")
        ax.set_xticks(x)
        ax.set_xticklabels([R.length_label(l) for l in lengths])
        ax.set_xlabel("context length (tokens)")
        ax.set_ylabel({"ruler": "RULER mean (%)", "babilong": "BABILong qa1-qa5 mean (%)"}[a.family])
        ax.set_ylim(0, 108)
        ax.grid(True, axis="y", alpha=0.3)
        ax.set_title(a.title or ("%s mean by length" % {"ruler": "RULER", "babilong": "BABILong"}[a.family]), fontsize=10)
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=min(len(models), 4), fontsize=8, frameon=False)
        fig.tight_layout()
        R.save(fig, a.out)

    R.main_wrapper("ablation_bars", run)


if __name__ == "__main__":
    main()
