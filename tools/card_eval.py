#!/usr/bin/env python3
"""Writes the engine's measured accuracy into a model card: a section made from `hsa eval` summaries.

    tools/card_eval.py models/hsa-tiny/MODEL_CARD.md results/card-4k results/card-64k ...

For every run directory (its summary.json and run.json) and every cell of the card's model: task, length,
samples, mode, backend, device, mean with its 95% interval, prefill tokens/s and peak host memory. The section
sits between two marker lines, so rerunning replaces it and the rest of the card is left as it is.
"""
import json
import os
import sys

BEGIN = "<!-- engine-eval: begin (tools/card_eval.py) -->"
END = "<!-- engine-eval: end -->"


def length_label(n):
    for unit, size in (("M", 1 << 20), ("K", 1 << 10)):
        if n % size == 0:
            return f"{n // size}{unit}"
    return str(n)


def rows_for(run_dir, model):
    try:
        summary = json.load(open(os.path.join(run_dir, "summary.json")))
    except OSError as e:
        raise SystemExit(f"card_eval: {run_dir}: no summary.json ({e.strerror}): finish the run first")
    run = summary["run"]
    if model not in summary["models"]:
        raise SystemExit(f"card_eval: {run_dir}: no rows of model '{model}' (has: {', '.join(summary['models'])})")
    device = ""
    with open(os.path.join(run_dir, "samples.jsonl")) as f:
        first = f.readline()
        if first:
            device = json.loads(first).get("device", "")
    out = []
    for task, lengths in sorted(summary["models"][model]["cells"].items()):
        for L, c in sorted(lengths.items(), key=lambda kv: int(kv[0])):
            lo, hi = c["ci95"]
            recall = c.get("retrieval_recall")
            out.append(f"| {task} | {length_label(int(L))} | {c['n']} | {run['mode']} | {run['backend']} ({device}) | "
                       f"{c['mean']:.1f}% [{lo:.1f}, {hi:.1f}] | {'-' if recall is None else f'{recall:.0f}%'} | "
                       f"{c['prefill_tokens_per_second']:.0f} | {c['peak_host_bytes'] / 2**20:.0f} MiB |")
    return out


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    card_path, runs = argv[0], argv[1:]
    model = os.path.basename(os.path.dirname(os.path.abspath(card_path)))
    rows = [r for d in runs for r in rows_for(d, model)]
    section = "\n".join([
        BEGIN, "## Accuracy measured by the engine (`hsa eval`)", "",
        "Fresh samples from the generators (seeds that training never used), scored by the C++ engine; mean with",
        "its 95% interval (Wilson). Retrieval recall (HSA models): the share of samples' evidence in a chunk that",
        "retrieval selected at the position predicting the answer (docs/results.md).", "",
        "| task | length | samples | mode | backend (device) | accuracy [95% CI] | retrieval recall | prefill tokens/s | peak host memory |",
        "|---|---|---|---|---|---|---|---|---|", *rows, END])
    text = open(card_path).read()
    if BEGIN in text and END in text:
        a, b = text.index(BEGIN), text.index(END) + len(END)
        text = text[:a] + section + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    with open(card_path + ".tmp", "w") as f:
        f.write(text)
    os.replace(card_path + ".tmp", card_path)
    print(f"card_eval: {len(rows)} rows into {card_path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
