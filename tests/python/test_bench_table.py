"""tools/bench_table.py on hand-made benchmark JSON (the shapes bench/bench_cuda.cpp and
tools/sdpa_baseline.py write), and tools/sdpa_baseline.py's clean skip where torch has no CUDA."""
import importlib.util
import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load_tool(name):
    spec = importlib.util.spec_from_file_location(name, os.path.join(ROOT, "tools", f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


bt = load_tool("bench_table")


def bench_doc():
    """A Google Benchmark JSON document like hsa_bench_cuda's: a roofline row, an op row with a length, an
    e2e pair and a row that failed."""
    return {
        "context": {"card": "NVIDIA H100 80GB HBM3, 81559 MiB", "commit": "abc123", "date": "2026-11-28"},
        "benchmarks": [
            {"name": "roofline_gemm/fp32/iterations:10/manual_time",
             "run_name": "roofline_gemm/fp32/iterations:10/manual_time", "run_type": "iteration",
             "real_time": 21.5, "time_unit": "ms", "ms": 21.0, "TFLOP/s": 52.36, "GB/s": 38.4,
             "roofline_frac": 1.0},
            {"name": "op/retrieval/64K/iterations:20/manual_time",
             "run_name": "op/retrieval/64K/iterations:20/manual_time", "run_type": "iteration",
             "real_time": 0.41, "time_unit": "ms", "ms": 0.4, "TFLOP/s": 0.8389, "GB/s": 12.5,
             "roofline_frac": 0.016, "bf16_frac": 0.0011, "length": 65536},
            {"name": "e2e/swa/64K/iterations:3/manual_time", "run_name": "e2e/swa/64K/iterations:3/manual_time",
             "run_type": "iteration", "real_time": 1500.0, "time_unit": "ms", "ms": 1500.0, "TFLOP/s": 14.5,
             "GB/s": 122.0, "roofline_frac": 0.277, "length": 65536, "tokens": 65280, "tokens/s": 43520.0,
             "dev_mem_GiB": 1.25},
            {"name": "e2e/hsa/64K/iterations:3/manual_time", "run_name": "e2e/hsa/64K/iterations:3/manual_time",
             "run_type": "iteration", "real_time": 3000.0, "time_unit": "ms", "ms": 3000.0, "TFLOP/s": 8.98,
             "GB/s": 77.0, "roofline_frac": 0.1712, "length": 65536, "tokens/s": 21760.0, "vs_swa": 2.0,
             "dev_mem_GiB": 1.5, "spec_roofline_frac": 0.13},
            {"name": "op/retrieval/1M/iterations:20/manual_time",
             "run_name": "op/retrieval/1M/iterations:20/manual_time", "run_type": "iteration",
             "error_occurred": True, "error_message": "no CUDA device: a | in the message", "iterations": 20,
             "real_time": 0.0, "time_unit": "ms"},
        ],
    }


def test_clean_name_and_lengths():
    assert bt.clean_name("op/retrieval/64K/iterations:20/manual_time") == "op/retrieval/64K"
    assert bt.clean_name("roofline_copy/repeats:3/real_time/threads:1") == "roofline_copy"
    assert bt.clean_name("e2e/hsa/4K") == "e2e/hsa/4K"
    assert [bt.len_name(x) for x in (4096, 65536, 1 << 20, 1 << 25, 1000, None, 0)] == \
        ["4K", "64K", "1M", "32M", "1000", "-", "-"]


def test_rows_from_benchmark():
    rows = bt.rows_from_benchmark(bench_doc())
    assert [(r["op"], r["length"]) for r in rows] == [
        ("roofline_gemm/fp32", "-"), ("op/retrieval", "64K"), ("e2e/swa", "64K"), ("e2e/hsa", "64K"),
        ("op/retrieval", "1M")]
    assert rows[1]["ms"] == 0.4 and rows[1]["tflops"] == 0.8389 and rows[1]["frac"] == 0.016
    assert "0.1% of bf16 GEMM" in rows[1]["notes"]
    assert "43,520 tok/s" in rows[2]["notes"] and "1.25 GiB device" in rows[2]["notes"]
    assert "2.00x swa time" in rows[3]["notes"] and "13.0% of datasheet roofline" in rows[3]["notes"]
    assert rows[4]["error"] == "no CUDA device: a / in the message"  # no | inside a markdown cell


def test_markdown_table():
    md = bt.table_for(bench_doc(), "bench_cuda.json")
    lines = md.splitlines()
    assert lines[0].startswith("`bench_cuda.json`; card NVIDIA H100 80GB HBM3")
    assert lines[2] == "| op | length | ms | TFLOP/s | GB/s | % of measured roofline | notes |"
    assert "| roofline_gemm/fp32 | - | 21 | 52.4 | 38.4 | 100.0% |" in md
    assert "| op/retrieval | 64K | 0.4 | 0.839 | 12.5 | 1.6% |" in md
    assert "| e2e/hsa | 64K | 3,000 | 8.98 | 77 | 17.1% |" in md
    assert "| op/retrieval | 1M | - | - | - | - | skipped: no CUDA device: a / in the message |" in md
    # every table line has the same number of cells
    table = [ln for ln in lines if ln.startswith("|")]
    assert len({ln.count("|") for ln in table}) == 1


def test_median_aggregates_replace_repetitions():
    rep = {"run_name": "op/linear/x", "run_type": "iteration", "ms": 1.0, "TFLOP/s": 1.0, "GB/s": 1.0,
           "roofline_frac": 0.5}
    doc = {"benchmarks": [
        dict(rep, name="op/linear/x", repetition_index=0),
        dict(rep, name="op/linear/x", repetition_index=1, ms=3.0),
        dict(rep, name="op/linear/x_mean", run_type="aggregate", aggregate_name="mean", ms=2.0),
        dict(rep, name="op/linear/x_median", run_type="aggregate", aggregate_name="median", ms=2.5),
    ]}
    rows = bt.rows_from_benchmark(doc)
    assert len(rows) == 1 and rows[0]["ms"] == 2.5 and rows[0]["op"] == "op/linear/x"


def test_row_without_our_counters_uses_real_time():
    doc = {"benchmarks": [{"name": "BM_Other", "run_name": "BM_Other", "run_type": "iteration",
                           "real_time": 2500.0, "time_unit": "us"}]}
    rows = bt.rows_from_benchmark(doc)
    assert rows[0]["ms"] == pytest.approx(2.5) and rows[0]["tflops"] is None
    assert "| BM_Other | - | 2.5 | - | - | - |" in bt.to_markdown(rows)


def test_sdpa_documents():
    doc = {"kind": "sdpa_baseline", "context": {"device": "NVIDIA H100", "torch": "2.11"},
           "results": [{"dtype": "bf16", "length": 4096, "ms": 0.5, "tflops": 137.5, "gbs": 134.2,
                        "ms_per_1k_tokens": 0.122},
                       {"dtype": "fp32", "length": 131072, "error": "out of memory at 131072"}]}
    md = bt.table_for(doc, "sdpa.json")
    assert "device NVIDIA H100; torch 2.11" in md
    assert "| sdpa/bf16 | 4K | 0.5 | 138 | 134 | - | 0.122 ms per 1K tokens |" in md
    assert "| sdpa/fp32 | 128K | - | - | - | - | skipped: out of memory at 131072 |" in md
    assert bt.table_for({"kind": "sdpa_baseline", "skipped": "no CUDA"}, "s.json") == "`s.json`: skipped (no CUDA)"


def test_main_reads_files(tmp_path, capsys):
    a = tmp_path / "bench.json"
    a.write_text(json.dumps(bench_doc()))
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert bt.main([str(a), str(bad)]) == 1
    out = capsys.readouterr()
    assert "| e2e/swa | 64K | 1,500 |" in out.out and "bad.json" in out.err


def test_sdpa_baseline_flops_and_clean_skip(tmp_path):
    sb = load_tool("sdpa_baseline")
    # causal: L (L+1) / 2 query-key pairs, 4 dh FLOPs each per head
    assert sb.causal_flops(4, 2, 8) == 4 * 2 * 8 * 10
    assert sb.attention_bytes(4096, 16, 64, 2) == 4 * 4096 * 16 * 64 * 2
    out = tmp_path / "sdpa.json"
    proc = subprocess.run([sys.executable, os.path.join(ROOT, "tools", "sdpa_baseline.py"), "--out", str(out),
                           "--lengths", "512", "--dtypes", "bf16", "--warmup", "0", "--reps", "1"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(out.read_text())
    assert doc["kind"] == "sdpa_baseline"
    if "skipped" in doc:  # no torch or no CUDA device here (CI): a message, no traceback
        assert "sdpa_baseline: skipped:" in proc.stdout and "Traceback" not in proc.stderr
    else:  # a machine with a GPU
        assert doc["results"][0]["length"] == 512
