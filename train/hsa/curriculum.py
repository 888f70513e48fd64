"""A training recipe in stages: each stage generates its data with `hsa generate`, trains from the previous
stage's weights (fresh optimizer and schedule), and the last stage is exported as a model directory whose
card lists every stage.

    PYTHONPATH=train python3 -m hsa.curriculum --recipe train/recipes/hsa-tiny.json --out runs/hsa-tiny \
        --hsa build/hsa --export models/hsa-tiny

Why stages: a small model does not learn to copy a needle's value from 4K-token samples whose needle is far
outside its sliding window (train/EXPERIMENTS.md, runs 1-3); it learns copying quickly from short samples
whose needle is inside the window, and retrieval through the chunk memory can then take over on longer ones.

Recipe (JSON; unknown keys are errors naming the key):
    {"config": "train/configs/hsa-tiny.json", "seed": 1,
     "stages": [{"name": "copy", "minutes": 1.5, "steps": 4000,
                 "data": [{"tasks": ["niah_single_1"], "lengths": ["512"], "samples": 6000}],
                 "train": {"lr": 3e-3, "tokens_per_batch": 8192, "lm_weight": 1.0}}, ...]}
`train` keys are the trainer's options (--lr -> "lr"); a stage's "window" trains it with a shorter sliding window
than the config's (same weights), so that retrieval, not the windows, has to answer on short samples. A stage that finished (its `done` marker exists) is
skipped, and an interrupted one resumes from its checkpoint, so rerunning the same command continues.
"""
import argparse
import concurrent.futures
import json
import os
import subprocess
import sys

from . import export, train

RECIPE_KEYS = {"config", "seed", "stages", "comment"}
STAGE_KEYS = {"name", "minutes", "steps", "window", "data", "train", "comment"}
DATA_KEYS = {"tasks", "lengths", "samples"}
TRAIN_KEYS = {"lr", "min_lr", "warmup", "weight_decay", "clip", "tokens_per_batch", "lm_weight", "gumbel", "freeze",
              "retrieval_loss", "eval_every", "eval_rows", "ckpt_every", "precision"}


def _check_keys(obj, allowed, where):
    if not isinstance(obj, dict):
        raise ValueError(f"recipe: {where} must be an object")
    for k in obj:
        if k not in allowed:
            raise ValueError(f"recipe: unknown key '{k}' in {where} (allowed: {', '.join(sorted(allowed))})")


def load_recipe(path):
    try:
        with open(path) as f:
            r = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        raise ValueError(f"recipe: cannot read '{path}': {e}") from None
    _check_keys(r, RECIPE_KEYS, "the recipe")
    for key in ("config", "stages"):
        if key not in r:
            raise ValueError(f"recipe: missing key '{key}'")
    if not r["stages"]:
        raise ValueError("recipe: 'stages' is empty")
    names = set()
    for i, s in enumerate(r["stages"]):
        where = f"stages[{i}]"
        _check_keys(s, STAGE_KEYS, where)
        for key in ("name", "data", "steps"):
            if key not in s:
                raise ValueError(f"recipe: missing key '{key}' in {where}")
        if s["name"] in names:
            raise ValueError(f"recipe: duplicate stage name '{s['name']}'")
        names.add(s["name"])
        _check_keys(s.get("train", {}), TRAIN_KEYS, f"{where}.train")
        for j, d in enumerate(s["data"]):
            _check_keys(d, DATA_KEYS, f"{where}.data[{j}]")
            for key in DATA_KEYS:
                if key not in d:
                    raise ValueError(f"recipe: missing key '{key}' in {where}.data[{j}]")
    return r


def generate(hsa, jobs, threads):
    """jobs: (task, length, samples, seed, path); each missing file is written by one `hsa generate`."""
    todo = [j for j in jobs if not os.path.exists(j[4])]

    def one(job):
        task, length, n, seed, path = job
        p = subprocess.run([hsa, "generate", "--task", task, "--length", str(length), "--n", str(n), "--seed",
                            str(seed), "--quiet", "--out", path], capture_output=True, text=True)
        if p.returncode != 0:
            raise RuntimeError(f"hsa generate --task {task} --length {length}: {p.stderr.strip()}")

    with concurrent.futures.ThreadPoolExecutor(max(1, threads)) as pool:
        list(pool.map(one, todo))
    return [j[4] for j in jobs]


def stage_data(recipe, i, data_dir):
    """The stage's dataset files; every stage draws its own samples (seed = recipe seed * 1000 + stage)."""
    seed = int(recipe.get("seed", 1)) * 1000 + i
    jobs = []
    for d in recipe["stages"][i]["data"]:
        for task in d["tasks"]:
            for L in d["lengths"]:
                jobs.append((task, L, int(d["samples"]), seed, os.path.join(data_dir, f"{task}-{L}-s{seed}.h5")))
    return jobs


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--recipe", required=True)
    ap.add_argument("--out", required=True, help="run directory: data/, one directory per stage")
    ap.add_argument("--hsa", default="build/hsa", help="the hsa binary (for generate)")
    ap.add_argument("--data-dir", default="", help="where datasets are generated (default OUT/data); runs of "
                    "the same recipe can share it")
    ap.add_argument("--prepare", action="store_true", help="only generate every stage's datasets, then exit")
    ap.add_argument("--export", default="", help="write the final model directory here")
    ap.add_argument("--name", default=None, help="model name in the card")
    ap.add_argument("--tokenizer", default="models/tokenizer/hsa-8k.model")
    ap.add_argument("--stages", default="", help="comma list of the stage names to run (default: all); earlier "
                    "stages not run here must be done, or --init given")
    ap.add_argument("--init", default="", help="weights for the first stage run here (a run or model directory), "
                    "e.g. a model exported by an earlier call on another machine")
    ap.add_argument("--config", default="", help="model config instead of the recipe's (e.g. a baseline)")
    ap.add_argument("--seed", type=int, default=None, help="instead of the recipe's seed (model initialisation, "
                    "sample order and every stage's datasets)")
    ap.add_argument("--minutes-scale", type=float, default=1.0, help="multiply every stage's time budget")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1, help="parallel generator processes")
    ap.add_argument("--device", default=None)
    args = ap.parse_args(argv)
    try:
        recipe = load_recipe(args.recipe)
    except ValueError as e:
        raise SystemExit(str(e))
    if args.config:
        recipe["config"] = args.config
    if args.seed is not None:
        recipe["seed"] = args.seed
    if not os.path.exists(args.hsa):
        raise SystemExit(f"curriculum: hsa binary '{args.hsa}' not found (build it, or pass --hsa)")
    data_dir = args.data_dir or os.path.join(args.out, "data")
    os.makedirs(data_dir, exist_ok=True)
    names = [s["name"] for s in recipe["stages"]]
    wanted = args.stages.split(",") if args.stages else names
    for w in wanted:
        if w not in names:
            raise SystemExit(f"curriculum: --stages: no stage '{w}' in the recipe (has: {', '.join(names)})")
    if args.prepare:
        jobs = [j for i, st in enumerate(recipe["stages"]) if st["name"] in wanted for j in stage_data(recipe, i, data_dir)]
        generate(args.hsa, jobs, args.threads)
        print(f"prepared {len(jobs)} datasets in {data_dir}", file=sys.stderr)
        return 0
    stage_dirs, prev = [], args.init
    for i, s in enumerate(recipe["stages"]):
        d = os.path.join(args.out, f"{i}-{s['name']}")
        if s["name"] not in wanted:
            continue
        stage_dirs.append(d)
        if os.path.exists(os.path.join(d, "done")):
            print(f"stage {s['name']}: done, skipped", file=sys.stderr)
            prev = d
            continue
        files = generate(args.hsa, stage_data(recipe, i, data_dir), args.threads)
        targs = ["--config", recipe["config"], "--data", ",".join(files), "--out", d, "--steps", str(s["steps"]),
                 "--seed", str(recipe.get("seed", 1))]
        if s.get("window"):
            targs += ["--window", str(int(s["window"]))]
        if s.get("minutes"):
            targs += ["--time-budget-min", str(float(s["minutes"]) * args.minutes_scale)]
        for k, v in s.get("train", {}).items():
            targs += ["--" + k.replace("_", "-"), str(v)]
        if prev:
            targs += ["--init", prev]
        if args.device:
            targs += ["--device", args.device]
        print(f"stage {s['name']}: {len(files)} datasets, training", file=sys.stderr)
        train.main(targs)
        open(os.path.join(d, "done"), "w").close()
        prev = d
    if args.export:
        export.main(["--run", ",".join(stage_dirs), "--config", recipe["config"], "--tokenizer", args.tokenizer,
                     "--out", args.export] + (["--name", args.name] if args.name else []))
    return 0


if __name__ == "__main__":
    sys.exit(main())
