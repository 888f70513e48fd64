"""The plot scripts (plots/*.py) end to end on hand-made run directories (docs/results.md format): each
writes a PNG and a PDF of the expected size; bad input exits non-zero with a message naming the problem.

Run from the repository root: PYTHONPATH=train /usr/bin/python3 -m pytest -q tests/python/test_plots.py
"""
import json
import math
import os
import random
import struct
import subprocess
import sys
import zlib

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLOTS = os.path.join(ROOT, "plots")
sys.path.insert(0, PLOTS)
import results as R  # noqa: E402

LENGTHS = [4096, 16384, 65536, 262144, 1048576]
TASKS = {"niah_single_1": "ruler", "niah_multikey_1": "ruler", "vt": "ruler", "qa1": "babilong", "qa2": "babilong"}
N = 20


def wilson(k, n, z=1.959963984540054):
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return [100 * max(0.0, c - h), 100 * min(1.0, c + h)]


def make_run(path, model, skill, write_summary=True):
    """A run of one model: N samples per (task, length); accuracy falls with length (less for higher skill)
    and with needle depth; memory grows linearly and throughput falls slowly with length."""
    os.makedirs(path, exist_ok=True)
    rng = random.Random(zlib.crc32(model.encode()))
    rows, cells, per_length = [], {}, {}
    for length in LENGTHS:
        scale = math.log2(length / 4096)
        for task, fam in TASKS.items():
            scores, recalls = [], []
            for i in range(N):
                depth = (i + 0.5) / N
                p = max(0.0, min(1.0, skill - 0.08 * scale * (1 - skill) * 4 - (0.2 * depth if task.startswith("niah") else 0)))
                score = 1.0 if rng.random() < p else 0.0
                scores.append(score)
                recall = (1.0 if rng.random() < skill else 0.0) if model.startswith("hsa") else None
                recalls.append(recall)
                rows.append({
                    "key": "%s/%s/%d/%d" % (model, task, length, i), "model": model, "model_hash": "0123456789abcdef",
                    "task": task, "family": fam, "length": length, "index": i, "seed": 42, "sample_hash": "h%d" % i,
                    "mode": "generative", "metric": "string_match_all", "target": ["x"],
                    "prediction": "x" if score else "y", "score": score,
                    "depth": depth if (task.startswith("niah") or fam == "babilong") else None,
                    "retrieval_recall": recall, "evidence_weight": None if recall is None else 0.5 * recall,
                    "prompt_tokens": length - 50, "prefill_seconds": length / 1e5, "decode_seconds": 0.1,
                    "prefill_tokens_per_second": 1e5 / (1 + 0.1 * scale) * skill,
                    "peak_host_bytes": int(2e8 + 3000 * length), "peak_device_bytes": int(1e9 + 5000 * length * (2 - skill)),
                    "backend": "cuda", "device": "test GPU", "commit": "abc"})
            k = int(sum(scores))
            cells.setdefault(task, {})[str(length)] = {
                "n": N, "mean": 100.0 * k / N, "ci95": wilson(k, N), "nulls": 0,
                "prefill_tokens_per_second": 1e5 / (1 + 0.1 * scale) * skill,
                "peak_host_bytes": int(2e8 + 3000 * length), "peak_device_bytes": int(1e9 + 5000 * length * (2 - skill)),
                "retrieval_recall": None if recalls[0] is None else 100.0 * sum(recalls) / N}
        ruler = [cells[t][str(length)]["mean"] for t, f in TASKS.items() if f == "ruler"]
        bab = [cells[t][str(length)]["mean"] for t, f in TASKS.items() if f == "babilong"]
        per_length[str(length)] = {"ruler_mean": sum(ruler) / len(ruler), "babilong_mean": sum(bab) / len(bab),
                                   "n_tasks_ruler": len(ruler), "n_tasks_babilong": len(bab)}
    with open(os.path.join(path, "samples.jsonl"), "w") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    with open(os.path.join(path, "run.json"), "w") as f:
        json.dump({"models": [model]}, f)
    if write_summary:
        with open(os.path.join(path, "summary.json"), "w") as f:
            json.dump({"run": {"models": [model]},
                       "models": {model: {"cells": cells, "per_length": per_length}}}, f)
    return path


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("runs")
    return {
        "hsa": make_run(str(d / "run-hsa"), "hsa-tiny", 0.9),
        "swa": make_run(str(d / "run-swa"), "swa-tiny", 0.6),
        "nosummary": make_run(str(d / "run-partial"), "hsa-partial", 0.8, write_summary=False),
    }


def plot(script, *args):
    return subprocess.run([sys.executable, os.path.join(PLOTS, script + ".py")] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=300)


def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG: %s" % path
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def check_outputs(prefix, size_in, dpi=100):
    png, pdf = prefix + ".png", prefix + ".pdf"
    assert os.path.getsize(png) > 10_000, png
    assert os.path.getsize(pdf) > 5_000, pdf
    with open(pdf, "rb") as f:
        assert f.read(5) == b"%PDF-"
    w, h = png_size(png)
    ew, eh = size_in[0] * dpi, size_in[1] * dpi
    assert abs(w - ew) <= 1 and abs(h - eh) <= 1, "PNG is %dx%d, expected %.0fx%.0f" % (w, h, ew, eh)
    assert not [p for p in os.listdir(os.path.dirname(prefix)) if ".partial-" in p]


def test_accuracy_vs_length_per_task(runs, tmp_path):
    out = str(tmp_path / "acc")
    r = plot("accuracy_vs_length", runs["hsa"], runs["swa"], "--out", out, "--train-length", "4K")
    assert r.returncode == 0, r.stderr
    check_outputs(out, R.figure_size(2, 3))  # 5 tasks: 2 rows of 3 panels


def test_retrieval_recall_loaded_and_drawn(runs, tmp_path):
    res = R.load([runs["hsa"], runs["swa"], runs["nosummary"]])
    hsa = [c.recall for (m, _, _), c in res.cells.items() if m == "hsa-tiny"]
    assert hsa and all(0 <= r <= 100 for r in hsa)
    assert all(c.recall is None for (m, _, _), c in res.cells.items() if m == "swa-tiny")
    rows = [json.loads(l) for l in open(os.path.join(runs["nosummary"], "samples.jsonl"))]   # recomputed from rows
    cell = res.cells[("hsa-partial", rows[0]["task"], rows[0]["length"])]
    same = [r["retrieval_recall"] for r in rows if (r["task"], r["length"]) == (rows[0]["task"], rows[0]["length"])]
    assert cell.recall == pytest.approx(100 * sum(same) / len(same))
    for extra in ([], ["--no-recall"]):
        out = str(tmp_path / ("acc-recall" + "".join(extra)))
        r = plot("accuracy_vs_length", runs["hsa"], runs["swa"], "--tasks", "vt,qa1", "--out", out, *extra)
        assert r.returncode == 0, r.stderr
        check_outputs(out, R.figure_size(1, 2))


def test_accuracy_vs_length_family_and_dpi(runs, tmp_path):
    out = str(tmp_path / "acc-fam")
    r = plot("accuracy_vs_length", runs["hsa"], runs["swa"], runs["nosummary"], "--family", "--out", out, "--dpi", 60)
    assert r.returncode == 0, r.stderr
    check_outputs(out, R.figure_size(1, 2), dpi=60)  # ruler and babilong panels


def test_accuracy_vs_length_task_filter(runs, tmp_path):
    out = str(tmp_path / "acc-one")
    r = plot("accuracy_vs_length", runs["hsa"], "--tasks", "vt", "--out", out)
    assert r.returncode == 0, r.stderr
    check_outputs(out, R.figure_size(1, 1))


def test_niah_heatmap(runs, tmp_path):
    out = str(tmp_path / "heat")
    r = plot("niah_heatmap", runs["hsa"], runs["swa"], "--model", "swa-tiny", "--task", "niah_multikey_1", "--out", out)
    assert r.returncode == 0, r.stderr
    check_outputs(out, (max(R.PANEL_W, 1.6 + 0.55 * len(LENGTHS)), R.PANEL_H + 1.2))


def test_niah_heatmap_defaults_to_niah_single_1(runs, tmp_path):
    out = str(tmp_path / "heat1")
    r = plot("niah_heatmap", runs["nosummary"], "--out", out)
    assert r.returncode == 0, r.stderr
    assert os.path.exists(out + ".png") and os.path.exists(out + ".pdf")


def test_memory_throughput(runs, tmp_path):
    out = str(tmp_path / "mem")
    r = plot("memory_throughput", runs["hsa"], runs["swa"], "--out", out, "--layers", 16, "--kv-heads", 4)
    assert r.returncode == 0, r.stderr
    check_outputs(out, (2 * R.PANEL_W + 1.0, R.PANEL_H + 2.0))
    out2 = str(tmp_path / "mem-flops")
    r = plot("memory_throughput", runs["hsa"], "--out", out2, "--flops-per-second", "1e14", "--task", "vt")
    assert r.returncode == 0, r.stderr
    check_outputs(out2, (2 * R.PANEL_W + 1.0, R.PANEL_H + 2.0))


def test_ablation_bars(runs, tmp_path):
    out = str(tmp_path / "bars")
    r = plot("ablation_bars", runs["hsa"], runs["swa"], runs["nosummary"], "--lengths", "4K,64K,1M", "--out", out)
    assert r.returncode == 0, r.stderr
    check_outputs(out, (max(R.PANEL_W * 1.5, 1.2 + 0.35 * 3 * 3 + 0.3 * 3), R.PANEL_H + R.LEGEND_H))
    out2 = str(tmp_path / "bars-bab")
    r = plot("ablation_bars", runs["hsa"], runs["swa"], "--family", "babilong", "--models", "swa-tiny,hsa-tiny",
             "--out", out2)
    assert r.returncode == 0, r.stderr
    assert os.path.getsize(out2 + ".png") > 10_000


def test_same_model_in_two_runs_is_told_apart(runs, tmp_path):
    out = str(tmp_path / "dup")
    r = plot("ablation_bars", runs["hsa"], runs["hsa"] + "/", "--out", out)
    assert r.returncode == 0, r.stderr


SCRIPTS = ["accuracy_vs_length", "niah_heatmap", "memory_throughput", "ablation_bars"]


@pytest.mark.parametrize("script", SCRIPTS)
def test_missing_run_dir(script, tmp_path):
    missing = str(tmp_path / "no-such-run")
    r = plot(script, missing, "--out", str(tmp_path / "x"))
    assert r.returncode != 0
    assert missing in r.stderr and "not found" in r.stderr, r.stderr
    assert not os.path.exists(str(tmp_path / "x.png"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_empty_results(script, tmp_path):
    empty = tmp_path / "empty-run"
    empty.mkdir()
    (empty / "samples.jsonl").write_text("")
    r = plot(script, str(empty), "--out", str(tmp_path / "x"))
    assert r.returncode != 0
    assert "no results" in r.stderr and str(empty) in r.stderr, r.stderr
    assert not os.path.exists(str(tmp_path / "x.png"))


@pytest.mark.parametrize("script", ["accuracy_vs_length", "ablation_bars"])
def test_malformed_summary_names_file_and_key(script, tmp_path):
    bad = tmp_path / "bad-run"
    bad.mkdir()
    (bad / "summary.json").write_text(json.dumps({"models": {"m": {"cells": {"vt": {"4096": {"n": 3}}}}}}))
    r = plot(script, str(bad), "--out", str(tmp_path / "x"))
    assert r.returncode != 0
    assert str(bad / "summary.json") in r.stderr and "'mean'" in r.stderr, r.stderr
    (bad / "summary.json").write_text("{\"models\": ")
    r = plot(script, str(bad), "--out", str(tmp_path / "x"))
    assert r.returncode != 0 and "not valid JSON" in r.stderr, r.stderr


def test_bad_options_are_clear(runs, tmp_path):
    x = str(tmp_path / "x")
    r = plot("niah_heatmap", runs["hsa"], runs["swa"], "--out", x)
    assert r.returncode != 0 and "--model" in r.stderr, r.stderr
    r = plot("niah_heatmap", runs["hsa"], "--task", "vt", "--out", x)  # vt rows have no depth
    assert r.returncode != 0 and "depth" in r.stderr, r.stderr
    r = plot("accuracy_vs_length", runs["hsa"], "--train-length", "4Q", "--out", x)
    assert r.returncode != 0 and "4Q" in r.stderr, r.stderr
    r = plot("ablation_bars", runs["hsa"], "--lengths", "8K", "--out", x)
    assert r.returncode != 0 and "8K" in r.stderr, r.stderr
    r = plot("ablation_bars", runs["hsa"], "--models", "nope", "--out", x)
    assert r.returncode != 0 and "nope" in r.stderr, r.stderr
    r = plot("accuracy_vs_length", runs["hsa"], "--out", str(tmp_path / "no-dir" / "x"))
    assert r.returncode != 0 and "does not exist" in r.stderr, r.stderr
    r = plot("memory_throughput", runs["hsa"])
    assert r.returncode != 0 and "--out" in r.stderr, r.stderr
