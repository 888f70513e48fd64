"""Export a trained run as a model directory the engine loads:
config.json, model.safetensors (names = state_dict keys), tokenizer.model, MODEL_CARD.md.

    PYTHONPATH=train python3 -m hsa.export --run runs/tiny --config cfg.json \
        --tokenizer models/tokenizer/hsa-8k.model --out models/hsa-tiny [--dtype bf16] [--name hsa-tiny]

Every number in the model card comes from the run's checkpoint and log (steps, tokens, wall time, card,
held-out accuracy) and from the datasets' metadata (data mix); nothing is typed in by hand.
"""
import argparse
import collections
import json
import os
import shutil
import sys

import h5py
import torch

from .config import ModelConfig
from .data import attr_str
from .safetensors_io import load_file, save_file
from .train import load_checkpoint

DTYPES = {"f32": torch.float32, "bf16": torch.bfloat16, "f16": torch.float16}


def data_mix(paths):
    mix = collections.Counter()
    for p in paths:
        with h5py.File(p, "r") as f:
            names = attr_str(f, "task_names").split(",")
            for t, L in zip(f["task"][:], f["length"][:]):
                mix[(names[t], int(L))] += 1
    return mix


def _stage_line(name, state, log, args, final_config=None):
    loss = f"answer + {args['lm_weight']} x LM" if args["lm_weight"] else "answer"
    if args.get("retrieval_loss"):
        loss += f" + {args['retrieval_loss']} x retrieval"
    if final_config and args.get("config") and os.path.basename(args["config"]) != os.path.basename(final_config):
        name += f" (config `{os.path.basename(args['config'])}`)"  # a stage of another variant, same tensors
    last = [r for r in log if "loss_answer" in r][-1:] or [{}]
    if args.get("window"):
        name += f" (window {args['window']})"
    if args.get("freeze"):
        frozen = args["freeze"].replace("|", "\\|")       # a table cell
        name += f" (frozen: `{frozen}`)"
    return (f"| {name} | {state['step']} | {state['tokens']:,} | {state['seconds'] / 60:.1f} | {args['lr']} -> {args['min_lr']} "
            f"(warm-up {args['warmup']}) | {args['tokens_per_batch']} | {loss} | {last[0].get('loss_answer', float('nan')):.3f} |")


def card(name, cfg, n_params, stages, dtype, earlier_card=""):
    """stages: [(stage name, checkpoint state, log records, data mix)] in training order; the last is exported.
    earlier_card: the card of the initial weights when they carry no stage history (its training sections are
    quoted)."""
    state, log = stages[-1][1], stages[-1][2]
    evals = [r for r in log if "heldout" in r]
    last = evals[-1]["heldout"] if evals else {}
    args = state["args"]
    lines = [f"# {name}", "",
             f"A {n_params / 1e6:.1f}M-parameter `{cfg.architecture}` model of the HSA family (spec/MODEL.md), trained by this",
             "project on its own generated tasks. It is a small research artefact for testing the engine and the",
             "harness end to end, not a general language model.", "",
             "## Architecture", "", "```json", json.dumps(cfg.to_dict(), indent=2), "```", "",
             "## Training", "",
             f"- steps: {sum(s[1]['step'] for s in stages)}, tokens: {sum(s[1]['tokens'] for s in stages):,}, "
             f"wall time: {sum(s[1]['seconds'] for s in stages) / 60:.1f} min" + (f" in {len(stages)} stages" if len(stages) > 1 else ""),
             f"- device: {state.get('device', 'unknown')}, torch {state.get('torch', '?')}",
             f"- optimizer: AdamW (betas 0.9/0.95, weight decay {args['weight_decay']}), warm-up + cosine, clip {args['clip']}, "
             f"bf16 autocast on CUDA, seed {args['seed']}; each stage starts from the previous stage's weights with a "
             "fresh optimizer",
             f"- weights stored as {dtype}"] + ([f"- the first stage started from the weights of `{stages[0][1]['args']['init']}`"]
                                                 if stages[0][1]["args"].get("init") else []) + ["",
             "| stage | steps | tokens | minutes | lr | tokens per batch | loss | last answer loss |",
             "|---|---|---|---|---|---|---|---|"]
    final_config = stages[-1][1]["args"].get("config")
    lines += [_stage_line(n, st, lg, st["args"], final_config) for n, st, lg, _ in stages]
    lines += ["", "## Data mix (samples, from `hsa generate`)", "", "| stage | task | length | samples |", "|---|---|---|---|"]
    for n, _, _, mix in stages:
        for (t, L), k in sorted(mix.items()):
            lines.append(f"| {n} | {t} | {L} | {k} |")
    if earlier_card:
        body = earlier_card.split("## Training", 1)[-1].split("## Not measured here", 1)[0].strip().splitlines()
        lines += ["", "## Stages before these (quoted from the card of the initial weights)", "", "### Training"]
        lines += [("#" + l if l.startswith("## ") else l) for l in body]
    lines += ["", "## Held-out teacher-forced accuracy (measured at the end of training)", "",
              "Exact match: every answer token is the argmax at its position; rows held out by content hash",
              "(never trained on), at the longest length of the last stage.", "",
              "Retrieval weight: the sum of the K slot weights at the answer positions per upper group, averaged",
              "(stick-breaking weights: near 0 or exactly 1 when the gates are saturated; always 1 with softmax weights).",
              "Evidence weight: the part of it on chunks that hold the evidence (needle, chain line, supporting fact),",
              "where the data carries markers.", "",
              "| task | length | rows | exact match | token accuracy | retrieval weight | evidence weight |",
              "|---|---|---|---|---|---|---|"]
    for t, v in sorted(last.items()):
        mass = " / ".join(f"{m:.2f}" for m in v.get("retrieval_mass", [])) or "-"
        ev = " / ".join(f"{m:.2f}" for m in v.get("evidence_weight", [])) or "-"
        lines.append(f"| {t} | {v.get('length', '')} | {v['n']} | {100 * v['exact_match']:.1f}% | {100 * v['token_acc']:.1f}% "
                     f"| {mass} | {ev} |")
    lines += ["", "## Not measured here", "",
              "Accuracy beyond the training length and generative (greedy) accuracy are measured by the harness with",
              "the engine; see results/ when those land."]
    return "\n".join(lines) + "\n"


HISTORY = "stages.json"


def earlier_history(init):
    """What an exported model a run started from says about its own training (its stages.json), so that a card
    made on another machine from brought-back weights still lists every stage: (stages, quoted card text).
    ([], "") when init is not such a directory."""
    path = os.path.join(init, HISTORY) if init and os.path.isdir(init) else ""
    if not path or not os.path.exists(path):
        return [], ""
    try:
        hist = json.load(open(path))
        stages = [(h["name"], h["state"], h["log"], collections.Counter({(t, int(L)): k for t, L, k in h["mix"]}))
                  for h in hist["stages"]]
        return stages, str(hist.get("quoted_card", ""))
    except (ValueError, KeyError, TypeError) as e:
        raise SystemExit(f"export: {path}: not a stage history ({e})")


def history(stages, quoted_card):
    """What the card needs of each stage, as JSON: the checkpoint state without tensors, the log records the card
    reads (last answer loss, last held-out evaluation) and the data mix; and the card of earlier weights that had
    no history, quoted again by every later card."""
    out = []
    for n, st, lg, mix in stages:
        keep = [r for r in lg if "loss_answer" in r][-1:] + [r for r in lg if "heldout" in r][-1:]
        out.append({"name": n, "state": st, "log": keep,
                    "mix": [[t, L, k] for (t, L), k in sorted(mix.items())]})
    return {"stages": out, "quoted_card": quoted_card}


ENGINE_EVAL_BEGIN = "<!-- engine-eval: begin"  # the section tools/card_eval.py writes; kept by --recard


def recard(model_dir, name=None):
    """Writes MODEL_CARD.md of an exported model directory again from its config.json, stages.json and
    model.safetensors (after a change of the card's format), keeping the engine's section (tools/card_eval.py)."""
    cfg = ModelConfig.from_json(os.path.join(model_dir, "config.json"))
    path = os.path.join(model_dir, HISTORY)
    if not os.path.exists(path):
        raise SystemExit(f"export: --recard: {path} not found (a model directory exported by hsa.export)")
    stages, quoted = earlier_history(model_dir)
    if not stages:
        raise SystemExit(f"export: --recard: {path} lists no stage")
    tensors = load_file(os.path.join(model_dir, "model.safetensors"))
    dtypes = {v.dtype for v in tensors.values()}
    dtype = next((k for k, v in DTYPES.items() if {v} == dtypes), "mixed")
    card_path = os.path.join(model_dir, "MODEL_CARD.md")
    old = open(card_path).read() if os.path.exists(card_path) else ""
    kept = old[old.index(ENGINE_EVAL_BEGIN):] if ENGINE_EVAL_BEGIN in old else ""  # marker, heading, rows, end
    text = card(name or os.path.basename(os.path.normpath(model_dir)), cfg,
                sum(v.numel() for v in tensors.values()), stages, dtype, quoted)
    with open(card_path + ".tmp", "w") as f:
        f.write(text + ("\n" + kept if kept else ""))
    os.replace(card_path + ".tmp", card_path)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--run", help="run directory, or a comma list of stage directories in training "
                    "order (the last one is exported; the card lists all)")
    ap.add_argument("--config")
    ap.add_argument("--tokenizer")
    ap.add_argument("--out")
    ap.add_argument("--dtype", default="bf16", choices=sorted(DTYPES))
    ap.add_argument("--name", default=None)
    ap.add_argument("--recard", default="", help="instead: write the MODEL_CARD.md of this exported model directory "
                    "again from its stages.json (the engine's section is kept)")
    args = ap.parse_args(argv)
    if args.recard:
        return recard(args.recard, args.name)
    missing = [k for k in ("run", "config", "tokenizer", "out") if not getattr(args, k)]
    if missing:
        ap.error("the following arguments are required: " + ", ".join("--" + k for k in missing))
    cfg = ModelConfig.from_json(args.config)
    stages = []
    for run in args.run.split(","):
        st = load_checkpoint(os.path.join(run, "checkpoint.pt"))
        log = [json.loads(l) for l in open(os.path.join(run, "log.jsonl"))]
        stages.append((os.path.basename(os.path.normpath(run)), st, log, data_mix(st["state"]["args"]["data"].split(","))))
    ck = stages[-1][1]
    stages = [(n, c["state"], lg, mix) for n, c, lg, mix in stages]
    init = stages[0][1]["args"].get("init")
    earlier, earlier_card = earlier_history(init)
    stages = earlier + stages
    init_card = os.path.join(init, "MODEL_CARD.md") if init and os.path.isdir(init) else ""
    if not earlier and not earlier_card and init_card and os.path.exists(init_card):
        earlier_card = open(init_card).read()
    sd = {k: v.to(DTYPES[args.dtype]) for k, v in ck["model"].items()}
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg.to_dict(), f, indent=2)
        f.write("\n")
    save_file(sd, os.path.join(args.out, "model.safetensors"), {"format": "pt", "producer": "hsa.export"})
    shutil.copyfile(args.tokenizer, os.path.join(args.out, "tokenizer.model"))
    n_params = sum(v.numel() for v in ck["model"].values())
    with open(os.path.join(args.out, "MODEL_CARD.md"), "w") as f:
        f.write(card(args.name or os.path.basename(os.path.normpath(args.out)), cfg, n_params,
                     stages, args.dtype, earlier_card))
    with open(os.path.join(args.out, HISTORY), "w") as f:
        json.dump(history(stages, earlier_card), f, indent=1, default=str)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
