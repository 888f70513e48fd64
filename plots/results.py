"""Shared loading for the plot scripts: samples.jsonl and summary.json of one or more run directories
(docs/results.md), merged into per-cell statistics keyed by (model, task, length), plus small helpers
(length labels, log2 length axes, figure saving, a uniform error exit).

Only the standard library, numpy and matplotlib (Agg) are used, so the scripts run with Debian's python3.
"""
import glob
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.ticker  # noqa: E402
import numpy as np  # noqa: E402

# Tasks of each family, from tasks/*.json when the repository is around; a name-based fallback otherwise.
_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_FAMILY_MEANS = {"ruler": None, "babilong": None}
_TASK_FAMILY = {}
for _fam in ("ruler", "babilong"):
    try:
        with open(os.path.join(_ROOT, "tasks", _fam + ".json")) as _f:
            _spec = json.load(_f)
        _FAMILY_MEANS[_fam] = list(_spec.get("mean_over", []))
        for _t in _spec.get("tasks", {}):
            _TASK_FAMILY[_t] = _fam
    except (OSError, ValueError):
        pass
if not _FAMILY_MEANS["babilong"]:
    _FAMILY_MEANS["babilong"] = ["qa1", "qa2", "qa3", "qa4", "qa5"]

# Figure geometry: one panel is PANEL_W x PANEL_H inches; a legend strip of LEGEND_H inches sits below.
PANEL_W, PANEL_H, LEGEND_H = 4.2, 3.2, 0.7
DEFAULT_DPI = 100


class ResultsError(Exception):
    """Bad input: a missing run directory, an unreadable file, a key the format requires, no results."""


def family_of(task, rows_family=None):
    if rows_family:
        return rows_family
    if task in _TASK_FAMILY:
        return _TASK_FAMILY[task]
    if task.startswith("qa") and task[2:].isdigit():
        return "babilong"
    return "ruler"


def family_mean_tasks(family):
    return _FAMILY_MEANS.get(family) or []


def parse_length(text):
    """'4K' -> 4096, '32M' -> 33554432, '5000' -> 5000 (binary suffixes, as `hsa`)."""
    s = str(text).strip().upper()
    mult = 1
    if s and s[-1] in "KMG":
        mult = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}[s[-1]]
        s = s[:-1]
    if not s.isdigit() or int(s) <= 0:
        raise ResultsError("length '%s': expected a positive integer with an optional K/M/G suffix (4K, 128K, 32M)" % text)
    return int(s) * mult


def length_label(n):
    n = int(n)
    if n % (1 << 30) == 0:
        return "%dG" % (n >> 30)
    if n % (1 << 20) == 0:
        return "%dM" % (n >> 20)
    if n % (1 << 10) == 0:
        return "%dK" % (n >> 10)
    return str(n)


class Cell:
    """Statistics of one (model, task, length) cell; mean, interval and retrieval recall are in percent."""

    __slots__ = ("n", "mean", "lo", "hi", "tps", "host", "device", "recall")

    def __init__(self, n=0, mean=None, lo=None, hi=None, tps=None, host=None, device=None, recall=None):
        self.n, self.mean, self.lo, self.hi = n, mean, lo, hi
        self.tps, self.host, self.device, self.recall = tps, host, device, recall


class Results:
    """Everything loaded from the run directories.

    models: model labels in first-seen order (a model found in several run directories is labelled
    "model [run-dir-name]"); cells: {(model, task, length): Cell}; per_length: {(model, length):
    {"ruler_mean": x, "babilong_mean": y}}; samples: the rows, each with "_model" set to its label.
    """

    def __init__(self):
        self.models, self.cells, self.per_length, self.samples = [], {}, {}, []
        self.task_family = {}
        self.run_dirs = []

    def tasks(self, model=None):
        seen = []
        for (m, t, _) in self.cells:
            if (model is None or m == model) and t not in seen:
                seen.append(t)
        return sorted(seen, key=_task_order)

    def lengths(self, model=None, task=None):
        return sorted({l for (m, t, l) in self.cells if (model is None or m == model) and (task is None or t == task)})

    def family(self, task):
        return family_of(task, self.task_family.get(task))

    def family_mean(self, model, length, family):
        """The family's headline mean at a length: summary per_length when present, else the unweighted mean
        of the family's mean tasks present (all of the family's tasks when none of those is present)."""
        key = "ruler_mean" if family == "ruler" else "babilong_mean"
        v = self.per_length.get((model, length), {}).get(key)
        if v is not None:
            return float(v)
        present = [(t, c) for (m, t, l), c in self.cells.items()
                   if m == model and l == length and self.family(t) == family and c.mean is not None]
        preferred = [c.mean for t, c in present if t in family_mean_tasks(family)]
        vals = preferred or [c.mean for _, c in present]
        return float(np.mean(vals)) if vals else None


def _task_order(t):
    order = (family_mean_tasks("ruler") or []) + ["qa%d" % i for i in range(1, 21)]
    return (order.index(t) if t in order else len(order), t)


def _read_json(path, what):
    try:
        with open(path) as f:
            return json.load(f)
    except OSError as e:
        raise ResultsError("%s %s: cannot read (%s)" % (what, path, e.strerror))
    except ValueError as e:
        raise ResultsError("%s %s: not valid JSON (%s)" % (what, path, e))


def _read_samples(run_dir):
    files = [os.path.join(run_dir, "samples.jsonl")]
    if not os.path.exists(files[0]):
        files = sorted(glob.glob(os.path.join(run_dir, "samples.shard-*-of-*.jsonl")))
    rows = []
    for path in files:
        if not os.path.exists(path):
            continue
        with open(path) as f:
            lines = f.read().split("\n")
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as e:
                if i >= len(lines) - 2:  # a row cut short by an interrupted run: the last line only
                    print("warning: %s:%d: ignoring a truncated last row" % (path, i + 1), file=sys.stderr)
                    continue
                raise ResultsError("%s:%d: not valid JSON (%s)" % (path, i + 1, e))
            for key in ("model", "task", "length", "score"):
                if key not in row:
                    raise ResultsError("%s:%d: missing key '%s'" % (path, i + 1, key))
            if not isinstance(row["length"], int) or row["length"] <= 0:
                raise ResultsError("%s:%d: key 'length' must be a positive integer" % (path, i + 1))
            if not isinstance(row["score"], (int, float)):
                raise ResultsError("%s:%d: key 'score' must be a number" % (path, i + 1))
            rows.append(row)
    return rows


def _num(cell, key, where, required=False):
    v = cell.get(key)
    if v is None:
        if required and key not in cell:
            raise ResultsError("%s: missing key '%s'" % (where, key))
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise ResultsError("%s: key '%s' must be a number" % (where, key))
    return float(v)


def _cells_from_summary(summary, path):
    if not isinstance(summary, dict) or not isinstance(summary.get("models"), dict):
        raise ResultsError("summary %s: missing key 'models' (an object)" % path)
    cells, per_length = {}, {}
    for model, mv in summary["models"].items():
        cv = mv.get("cells") if isinstance(mv, dict) else None
        if not isinstance(cv, dict):
            raise ResultsError("summary %s: missing key 'models.%s.cells' (an object)" % (path, model))
        for task, tv in cv.items():
            if not isinstance(tv, dict):
                raise ResultsError("summary %s: key 'models.%s.cells.%s' must be an object" % (path, model, task))
            for length, c in tv.items():
                where = "summary %s: models.%s.cells.%s.%s" % (path, model, task, length)
                if not str(length).isdigit() or not isinstance(c, dict):
                    raise ResultsError("%s: expected a positive integer length holding an object" % where)
                ci = c.get("ci95")
                lo = hi = None
                if ci is not None:
                    if not (isinstance(ci, list) and len(ci) == 2 and all(isinstance(x, (int, float)) for x in ci)):
                        raise ResultsError("%s: key 'ci95' must be [low, high]" % where)
                    lo, hi = float(ci[0]), float(ci[1])
                n = _num(c, "n", where)
                cells[(model, task, int(length))] = Cell(
                    n=int(n or 0), mean=_num(c, "mean", where, required=True), lo=lo, hi=hi,
                    tps=_num(c, "prefill_tokens_per_second", where), host=_num(c, "peak_host_bytes", where),
                    device=_num(c, "peak_device_bytes", where), recall=_num(c, "retrieval_recall", where))
        for length, pv in (mv.get("per_length") or {}).items():
            if str(length).isdigit() and isinstance(pv, dict):
                per_length[(model, int(length))] = pv
    return cells, per_length


def wilson(k, n, z=1.959963984540054):
    if n == 0:
        return (None, None)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (max(0.0, c - h), min(1.0, c + h))


def _cell_from_rows(rows):
    """The summary statistics of docs/results.md recomputed from rows (for runs without summary.json)."""
    scores = np.array([float(r["score"]) for r in rows])
    n = len(scores)
    mean = float(scores.mean()) if n else None
    if n and np.all((scores == 0) | (scores == 1)):
        lo, hi = wilson(int(scores.sum()), n)
    elif n:
        rng = np.random.default_rng(0)
        boots = scores[rng.integers(0, n, size=(2000, n))].mean(axis=1)
        lo, hi = float(np.percentile(boots, 2.5)), float(np.percentile(boots, 97.5))
    else:
        lo = hi = None

    def agg(key, fn):
        vals = [float(r[key]) for r in rows if isinstance(r.get(key), (int, float))]
        return float(fn(vals)) if vals else None

    recall = agg("retrieval_recall", np.mean)
    return Cell(n=n, mean=None if mean is None else 100 * mean, lo=None if lo is None else 100 * lo,
                hi=None if hi is None else 100 * hi, tps=agg("prefill_tokens_per_second", np.median),
                host=agg("peak_host_bytes", max), device=agg("peak_device_bytes", max),
                recall=None if recall is None else 100 * recall)


def load(run_dirs, need_samples=False):
    """Loads the run directories. Cell statistics come from summary.json when a run has one, else they are
    recomputed from its rows. need_samples: the caller needs the rows themselves (e.g. depths)."""
    if not run_dirs:
        raise ResultsError("no run directories given")
    loaded = []
    for d in run_dirs:
        if not os.path.isdir(d):
            raise ResultsError("run directory %s: not found" % d if not os.path.exists(d)
                               else "run directory %s: not a directory" % d)
        spath = os.path.join(d, "summary.json")
        summary = _read_json(spath, "summary") if os.path.exists(spath) else None
        rows = _read_samples(d) if (need_samples or summary is None) else []
        loaded.append((d, summary, spath, rows))

    # Label models; a name seen in several run directories gets the directory's name attached.
    def names(summary, rows):
        out = list(summary["models"]) if isinstance(summary, dict) and isinstance(summary.get("models"), dict) else []
        for r in rows:
            if r["model"] not in out:
                out.append(r["model"])
        return out

    seen = {}
    for d, summary, _, rows in loaded:
        for m in names(summary, rows):
            seen.setdefault(m, []).append(d)

    res = Results()
    res.run_dirs = list(run_dirs)
    for d, summary, spath, rows in loaded:
        base = os.path.basename(os.path.normpath(d))
        label = (lambda m: m if len(seen[m]) == 1 else "%s [%s]" % (m, base))
        if summary is not None:
            cells, per_length = _cells_from_summary(summary, spath)
        else:
            groups = {}
            for r in rows:
                groups.setdefault((r["model"], r["task"], r["length"]), []).append(r)
            cells = {k: _cell_from_rows(v) for k, v in groups.items()}
            per_length = {}
        for (m, t, l), c in cells.items():
            res.cells[(label(m), t, l)] = c
        for (m, l), v in per_length.items():
            res.per_length[(label(m), l)] = v
        for r in rows:
            r = dict(r)
            r["_model"] = label(r["model"])
            res.samples.append(r)
            if r.get("family"):
                res.task_family.setdefault(r["task"], r["family"])
        for m in names(summary, rows):
            if label(m) not in res.models:
                res.models.append(label(m))
    if not res.cells and not res.samples:
        raise ResultsError("no results in %s (empty samples.jsonl and no summary.json cells)" % ", ".join(run_dirs))
    return res


def select_models(res, wanted):
    """--models a,b: those models in that order (error naming unknown ones); empty: all, in load order."""
    if not wanted:
        return list(res.models)
    out = [m.strip() for m in wanted.split(",") if m.strip()]
    unknown = [m for m in out if m not in res.models]
    if unknown:
        raise ResultsError("unknown model(s) %s; the runs hold: %s" % (", ".join(unknown), ", ".join(res.models)))
    return out


def log2_length_axis(ax, lengths):
    """log2 x axis with a tick at every power of two in range, labelled 4K, 8K, ..., 32M."""
    ax.set_xscale("log", base=2)
    lengths = [l for l in lengths if l > 0]
    if not lengths:
        return
    lo, hi = int(math.floor(math.log2(min(lengths)))), int(math.ceil(math.log2(max(lengths))))
    ticks = [2 ** e for e in range(lo, hi + 1)]
    ax.set_xticks(ticks)
    ax.set_xticklabels([length_label(t) for t in ticks], rotation=45 if len(ticks) > 6 else 0,
                       ha="right" if len(ticks) > 6 else "center", fontsize=8)
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())
    pad = 2 ** 0.25
    ax.set_xlim(min(lengths) / pad, max(lengths) * pad)


def grid(n, max_cols=3):
    cols = max(1, min(n, max_cols))
    rows = max(1, int(math.ceil(n / cols)))
    return rows, cols


def figure_size(rows, cols, legend=True):
    """Inches of a figure of rows x cols panels (PNG pixels = inches x dpi)."""
    return (PANEL_W * cols, PANEL_H * rows + (LEGEND_H if legend else 0))


def save(fig, out_prefix):
    d = os.path.dirname(os.path.abspath(out_prefix))
    if not os.path.isdir(d):
        raise ResultsError("--out %s: directory %s does not exist" % (out_prefix, d))
    for ext in ("png", "pdf"):
        path = "%s.%s" % (out_prefix, ext)
        tmp = "%s.partial-%d.%s" % (out_prefix, os.getpid(), ext)
        try:
            fig.savefig(tmp, dpi=fig.dpi, format=ext)
            os.replace(tmp, path)
        except OSError as e:
            if os.path.exists(tmp):
                os.remove(tmp)
            raise ResultsError("cannot write %s (%s)" % (path, e.strerror or e))
    plt.close(fig)
    print("wrote %s.png and %s.pdf" % (out_prefix, out_prefix))


def add_common_args(parser):
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR", help="run directories (samples.jsonl / summary.json)")
    parser.add_argument("--out", required=True, metavar="OUT_PREFIX", help="writes OUT_PREFIX.png and OUT_PREFIX.pdf")
    parser.add_argument("--dpi", type=int, default=DEFAULT_DPI, help="PNG resolution (default %(default)s)")
    parser.add_argument("--title", default=None, help="figure title")


def main_wrapper(prog, fn):
    """Runs fn(); bad input becomes 'prog: error: message' on stderr and exit status 2."""
    try:
        fn()
    except ResultsError as e:
        print("%s: error: %s" % (prog, e), file=sys.stderr)
        sys.exit(2)
    except OSError as e:
        print("%s: error: %s%s" % (prog, e.filename + ": " if e.filename else "", e.strerror or e), file=sys.stderr)
        sys.exit(2)
    return 0
