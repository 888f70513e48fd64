#!/usr/bin/env python3
"""Markdown tables for bench/RESULTS.md from benchmark JSON files.

Reads Google Benchmark JSON (``--benchmark_out=... --benchmark_out_format=json``, e.g. from
build-*/hsa_bench_cuda, bench/bench_cuda.cpp) and the JSON of tools/sdpa_baseline.py, and prints one table
per file: op, length, ms, TFLOP/s, GB/s, % of the roofline measured in the same run, and notes (tokens/s,
time over the swa baseline, device memory, % of the env-given datasheet roofline). Rows that were skipped
or failed show the reason. Only the standard library is used.

    python3 tools/bench_table.py OUTDIR/bench_cuda.json [OUTDIR/sdpa_baseline.json ...]
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any, Iterable

# Suffixes Google Benchmark appends to a row's name for its options.
_SUFFIX = re.compile(r"/(iterations:\d+|manual_time|real_time|process_time|repeats:\d+|threads:\d+|min_time:[\d.]+s?)$")


def clean_name(name: str) -> str:
    """The row's name without the option suffixes ("op/retrieval/64K/iterations:20/manual_time" -> "op/retrieval/64K")."""
    while True:
        stripped = _SUFFIX.sub("", name)
        if stripped == name:
            return name
        name = stripped


def len_name(tokens: float | int | None) -> str:
    """4096 -> "4K", 1048576 -> "1M", as bench_cuda.cpp names lengths; "-" when there is none."""
    if tokens is None or tokens <= 0:
        return "-"
    n = int(tokens)
    if n % (1 << 20) == 0:
        return f"{n >> 20}M"
    if n % 1024 == 0:
        return f"{n >> 10}K"
    return str(n)


def fmt(x: float | None, digits: int = 3) -> str:
    """A number with `digits` significant digits, thousands separated; "-" for None."""
    if x is None:
        return "-"
    if x == 0:
        return "0"
    if abs(x) >= 10 ** digits:
        return f"{x:,.0f}"
    return f"{x:.{digits}g}"


def pct(frac: float | None) -> str:
    return "-" if frac is None else f"{100.0 * frac:.1f}%"


def rows_from_benchmark(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Table rows of a Google Benchmark JSON document (median aggregates when the run had repetitions)."""
    benches = doc.get("benchmarks", [])
    medians = [b for b in benches if b.get("run_type") == "aggregate" and b.get("aggregate_name") == "median"]
    if medians:  # a run with --benchmark_repetitions: the median rows replace the repetitions
        have = {b.get("run_name") for b in medians}
        benches = [b for b in benches
                   if any(b is m for m in medians) or (b.get("run_type") != "aggregate" and b.get("run_name") not in have)]
    rows = []
    for b in benches:
        name = clean_name(b.get("run_name") or b.get("name", "?"))
        ln = len_name(b.get("length"))
        last = name.rsplit("/", 1)[-1]
        if ln == "-" and "/" in name and re.fullmatch(r"\d+[KM]?", last):  # a skipped row has no counters
            ln = last
        op = name[: -len(ln) - 1] if ln != "-" and name.endswith("/" + ln) else name
        row: dict[str, Any] = {"op": op, "length": ln}
        if b.get("error_occurred") or b.get("skipped"):
            row["error"] = str(b.get("error_message") or b.get("skip_message") or "skipped").replace("|", "/")
            rows.append(row)
            continue
        ms = b.get("ms")
        if ms is None and "real_time" in b:  # a row without our counters: its reported time
            unit = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}.get(b.get("time_unit", "ns"), 1e-6)
            ms = b["real_time"] * unit
        row.update(ms=ms, tflops=b.get("TFLOP/s"), gbs=b.get("GB/s"), frac=b.get("roofline_frac"))
        notes = []
        if "tokens/s" in b:
            notes.append(f"{fmt(b['tokens/s'])} tok/s")
        if "vs_swa" in b:
            notes.append(f"{b['vs_swa']:.2f}x swa time")
        if "dev_mem_GiB" in b:
            notes.append(f"{b['dev_mem_GiB']:.2f} GiB device")
        if "bf16_frac" in b and not op.startswith("roofline"):
            notes.append(f"{pct(b['bf16_frac'])} of bf16 GEMM")
        if "spec_roofline_frac" in b:
            notes.append(f"{pct(b['spec_roofline_frac'])} of datasheet roofline")
        row["notes"] = "; ".join(notes)
        rows.append(row)
    return rows


def rows_from_sdpa(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Table rows of tools/sdpa_baseline.py's JSON."""
    rows = []
    for r in doc.get("results", []):
        row: dict[str, Any] = {"op": f"sdpa/{r.get('dtype', '?')}", "length": len_name(r.get("length"))}
        if r.get("error"):
            row["error"] = str(r["error"]).replace("|", "/")
        else:
            row.update(ms=r.get("ms"), tflops=r.get("tflops"), gbs=r.get("gbs"), frac=None,
                       notes=f"{fmt(r['ms_per_1k_tokens'])} ms per 1K tokens" if "ms_per_1k_tokens" in r else "")
        rows.append(row)
    return rows


def short(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def to_markdown(rows: Iterable[dict[str, Any]]) -> str:
    lines = ["| op | length | ms | TFLOP/s | GB/s | % of measured roofline | notes |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        if "error" in r:
            lines.append(f"| {r['op']} | {r['length']} | - | - | - | - | skipped: {short(r['error'])} |")
        else:
            lines.append(f"| {r['op']} | {r['length']} | {fmt(r.get('ms'))} | {fmt(r.get('tflops'))} | "
                         f"{fmt(r.get('gbs'))} | {pct(r.get('frac'))} | {r.get('notes', '')} |")
    return "\n".join(lines)


def header(doc: dict[str, Any], path: str) -> str:
    ctx = doc.get("context", {})
    parts = [f"`{path}`"]
    for key in ("card", "device", "commit", "date", "torch"):
        if ctx.get(key):
            parts.append(f"{key} {ctx[key]}")
    return "; ".join(parts)


def table_for(doc: dict[str, Any], path: str = "") -> str:
    """The markdown for one JSON document (a line naming it, then the table)."""
    if doc.get("skipped"):
        return f"{header(doc, path)}: skipped ({doc['skipped']})"
    rows = rows_from_sdpa(doc) if doc.get("kind") == "sdpa_baseline" else rows_from_benchmark(doc)
    return header(doc, path) + "\n\n" + to_markdown(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+", help="Google Benchmark or sdpa_baseline.py JSON files")
    args = ap.parse_args(argv)
    status = 0
    for i, path in enumerate(args.files):
        try:
            with open(path, encoding="utf-8") as f:
                doc = json.load(f)
        except (OSError, json.JSONDecodeError) as e:
            print(f"bench_table: {path}: {e}", file=sys.stderr)
            status = 1
            continue
        if i:
            print()
        print(table_for(doc, path))
    return status


if __name__ == "__main__":
    sys.exit(main())
