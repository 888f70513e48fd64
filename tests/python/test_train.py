"""Trainer, data loading and export, end to end on CPU with a tiny model and datasets made by `hsa generate`.

A run stopped mid-way and resumed ends bit-identical to an uninterrupted run; the exported model directory
loads back to the same tensors; safetensors round-trips every dtype and rejects truncated files.
"""
import json
import os
import shutil
import subprocess

import pytest
import torch

from hsa.config import ModelConfig
from hsa.data import TokenDatasets, batches
from hsa.model import HSAModel
from hsa.safetensors_io import load_file, save_file
from hsa import export, train
from hsa.train import load_checkpoint

from tiny import HSA, ROOT, TINY, TOK


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    if not os.path.exists(HSA):
        pytest.fail(f"{HSA} not built: run tools/setup.sh first")
    d = tmp_path_factory.mktemp("data")
    paths = []
    for task in ("niah_single_1", "qa1"):
        p = str(d / f"{task}.h5")
        subprocess.run([HSA, "generate", "--task", task, "--length", "512", "--n", "60", "--seed", "3", "--quiet",
                        "--tokenizer", TOK, "--out", p], check=True)
        paths.append(p)
    cfg = str(d / "config.json")
    with open(cfg, "w") as f:
        json.dump(TINY, f)
    return {"paths": paths, "config": cfg, "dir": d}


def test_dataset_rows_masks_and_split(data):
    ds = TokenDatasets(data["paths"])
    assert len(ds.rows_train) + len(ds.rows_heldout) == 120
    ids, tgt, ans, lm = ds.batch(ds.rows_train[:3])
    assert ids.shape == tgt.shape == ans.shape
    assert (ans.sum(1) > 0).all()                  # every row has an answer span
    assert ((ans + lm) <= 1).all()
    for i, r in enumerate(ds.rows_train[:3]):     # targets are the next tokens; the mask covers the answer
        toks, mask = ds.tokens(r)
        k = len(toks) - 1
        assert torch.equal(ids[i, :k], torch.from_numpy(toks[:-1]).long())
        assert torch.equal(tgt[i, :k], torch.from_numpy(toks[1:]).long())
        assert int(ans[i].sum()) == int(mask.sum()) and ans[i, k - 1] == 1
    b1 = [[(r.file, r.index) for r in b] for b in batches(ds, 1, 0, 2048)]
    b2 = [[(r.file, r.index) for r in b] for b in batches(ds, 1, 0, 2048)]
    assert b1 == b2 and b1 != [[(r.file, r.index) for r in b] for b in batches(ds, 1, 1, 2048)]


def run_train(data, out, *extra):
    return train.main(["--config", data["config"], "--data", ",".join(data["paths"]), "--out", str(out), "--steps", "6",
                       "--tokens-per-batch", "2048", "--warmup", "2", "--eval-every", "3", "--eval-rows", "4",
                       "--device", "cpu", *extra])


def test_resume_is_exact(data):
    a, b = data["dir"] / "run_a", data["dir"] / "run_b"
    run_train(data, a)
    run_train(data, b, "--stop-after", "3")     # as if killed after step 3
    assert load_checkpoint(b / "checkpoint.pt")["state"]["step"] == 3
    run_train(data, b)                           # resumes
    sa, sb = load_checkpoint(a / "checkpoint.pt"), load_checkpoint(b / "checkpoint.pt")
    assert sa["state"]["step"] == sb["state"]["step"] == 6
    for k in sa["model"]:
        assert torch.equal(sa["model"][k], sb["model"][k]), k
    log = [json.loads(l) for l in open(a / "log.jsonl")]
    assert [r["step"] for r in log] == list(range(1, 7))
    assert any("heldout" in r for r in log)


def test_export_round_trip(data):
    run = data["dir"] / "run_a"
    out = data["dir"] / "model"
    export.main(["--run", str(run), "--config", data["config"], "--tokenizer", TOK, "--out", str(out), "--dtype", "f32"])
    assert sorted(os.listdir(out)) == ["MODEL_CARD.md", "config.json", "model.safetensors", "stages.json", "tokenizer.model"]
    cfg = ModelConfig.from_json(str(out / "config.json"))
    model = HSAModel(cfg)
    tensors = load_file(str(out / "model.safetensors"))
    assert set(tensors) == set(model.state_dict())
    model.load_state_dict(tensors)
    ck = load_checkpoint(run / "checkpoint.pt")
    for k, v in ck["model"].items():
        assert torch.equal(tensors[k], v), k
    card = open(out / "MODEL_CARD.md").read()
    assert "| niah_single_1 | 512 |" in card and "steps: 6" in card


def test_safetensors_dtypes_and_truncation(tmp_path):
    t = {"a": torch.randn(3, 5), "b": torch.randn(7).to(torch.bfloat16), "c": torch.randn(2, 2).half()}
    p = str(tmp_path / "x.safetensors")
    save_file(t, p)
    back = load_file(p)
    for k in t:
        assert back[k].dtype == t[k].dtype and torch.equal(back[k], t[k])
    raw = open(p, "rb").read()
    open(p, "wb").write(raw[:-4])
    with pytest.raises(ValueError, match="runs past the end"):
        load_file(p)


def test_init_starts_a_new_stage_from_trained_weights(data):
    src = data["dir"] / "run_a"
    out = data["dir"] / "stage2"
    run_train(data, out, "--init", str(src), "--stop-after", "1", "--lr", "1e-12", "--warmup", "1")
    a, b = load_checkpoint(src / "checkpoint.pt"), load_checkpoint(out / "checkpoint.pt")
    assert b["state"]["step"] == 1 and b["state"]["epoch"] == 0    # a fresh schedule and data cursor
    for k in a["model"]:                                           # the weights came from run_a (lr ~ 0)
        assert torch.allclose(a["model"][k], b["model"][k], atol=1e-6), k
    with pytest.raises(SystemExit, match="no checkpoint"):
        run_train(data, data["dir"] / "stage3", "--init", str(data["dir"] / "missing"))


def test_freeze_keeps_matching_parameters(data):
    src = data["dir"] / "run_a"
    out = data["dir"] / "frozen"
    run_train(data, out, "--init", str(src), "--stop-after", "2", "--lr", "1e-2", "--freeze", r"retrieval|memory\.lmk")
    a, b = load_checkpoint(src / "checkpoint.pt")["model"], load_checkpoint(out / "checkpoint.pt")["model"]
    frozen = [k for k in a if "retrieval" in k or k.startswith("memory.lmk")]
    assert frozen and all(torch.equal(a[k], b[k]) for k in frozen)
    assert any(not torch.equal(a[k], b[k]) for k in a if k not in frozen)
    with pytest.raises(SystemExit, match="matches no parameter"):
        run_train(data, data["dir"] / "frozen2", "--freeze", "no_such_tensor")
    with pytest.raises(SystemExit, match="--freeze '\\(': "):
        run_train(data, data["dir"] / "frozen3", "--freeze", "(")
    with pytest.raises(SystemExit, match="--window must be >= 1"):
        run_train(data, data["dir"] / "window", "--window", "-1")


def test_curriculum_stages_resume_and_card(data):
    from hsa import curriculum
    recipe = {"config": data["config"], "seed": 2, "stages": [
        {"name": "short", "steps": 3, "data": [{"tasks": ["niah_single_1"], "lengths": ["512"], "samples": 24}],
         "train": {"tokens_per_batch": 2048, "warmup": 1, "eval_every": 3, "eval_rows": 4}},
        {"name": "long", "steps": 2, "window": 32, "data": [{"tasks": ["niah_single_1", "qa1"], "lengths": ["1K"], "samples": 12}],
         "train": {"tokens_per_batch": 2048, "warmup": 1, "eval_every": 2, "eval_rows": 4, "lm_weight": 0.5}}]}
    rp = data["dir"] / "recipe.json"
    rp.write_text(json.dumps(recipe))
    out, model = data["dir"] / "cur", data["dir"] / "cur-model"
    args = ["--recipe", str(rp), "--out", str(out), "--hsa", HSA, "--tokenizer", TOK, "--device", "cpu", "--threads", "2"]
    curriculum.main(args + ["--export", str(model)])
    s1, s2 = load_checkpoint(out / "0-short" / "checkpoint.pt"), load_checkpoint(out / "1-long" / "checkpoint.pt")
    assert s1["state"]["step"] == 3 and s2["state"]["step"] == 2
    assert s2["state"]["args"]["init"] == str(out / "0-short")
    assert s1["state"]["args"]["window"] == 0 and s2["state"]["args"]["window"] == 32
    card = open(model / "MODEL_CARD.md").read()
    assert "| 0-short | niah_single_1 | 512 |" in card and "| 1-long | qa1 | 1024 |" in card
    assert "steps: 5" in card and "in 2 stages" in card and "| 1-long (window 32) | 2 |" in card
    before = os.path.getmtime(out / "1-long" / "checkpoint.pt")
    curriculum.main(args)                          # both stages done: nothing is retrained
    assert os.path.getmtime(out / "1-long" / "checkpoint.pt") == before
    # A later call on another machine: only stage "long", from the exported (bf16) weights.
    recipe["stages"][1]["train"].update(lr=1e-12, warmup=1)
    rp.write_text(json.dumps(recipe))
    out2 = data["dir"] / "cur2"
    args2 = ["--recipe", str(rp), "--out", str(out2), "--hsa", HSA, "--tokenizer", TOK, "--device", "cpu", "--threads", "2"]
    model2 = data["dir"] / "cur2-model"
    curriculum.main(args2 + ["--stages", "long", "--init", str(model), "--export", str(model2)])
    assert not (out2 / "0-short").exists()
    card2 = open(model2 / "MODEL_CARD.md").read()     # the stages behind the initial weights travel with them
    assert "| 0-short | 3 |" in card2 and card2.count("| 1-long (window 32) | 2 |") == 2 and "steps: 7" in card2
    assert "| 0-short | niah_single_1 | 512 |" in card2 and "in 3 stages" in card2
    os.remove(model / "stages.json")                  # weights without a history: their card is quoted
    export.main(["--run", str(out2 / "1-long"), "--config", data["config"], "--tokenizer", TOK, "--out", str(model2)])
    card3 = open(model2 / "MODEL_CARD.md").read()
    assert "steps: 2," in card3 and "quoted from the card of the initial weights" in card3
    assert "| 0-short | niah_single_1 | 512 |" in card3 and "### Held-out" in card3
    model3 = data["dir"] / "cur3-model"                # one more continuation: the quoted card is kept
    hist = json.load(open(model2 / "stages.json"))
    assert [h["name"] for h in hist["stages"]] == ["1-long"] and "0-short" in hist["quoted_card"]
    later = data["dir"] / "cur3" / "2-later"             # a stage that started from model2's weights
    shutil.copytree(out2 / "1-long", later)
    ck = load_checkpoint(later / "checkpoint.pt")
    ck["state"]["args"]["init"] = str(model2)
    torch.save(ck, later / "checkpoint.pt")
    export.main(["--run", str(later), "--config", data["config"], "--tokenizer", TOK, "--out", str(model3)])
    card4 = open(model3 / "MODEL_CARD.md").read()
    assert "steps: 4," in card4 and "quoted from the card of the initial weights" in card4
    assert "| 0-short | niah_single_1 | 512 |" in card4
    s3 = load_checkpoint(out2 / "1-long" / "checkpoint.pt")
    assert s3["state"]["args"]["init"] == str(model) and s3["state"]["step"] == 2
    exported = load_file(str(model / "model.safetensors"))
    for k, v in s3["model"].items():                # lr ~ 0: still the exported weights
        assert torch.allclose(v, exported[k].float(), atol=1e-6), k
    with pytest.raises(SystemExit, match="no stage 'longer'"):
        curriculum.main(args2 + ["--stages", "longer"])
    bad = dict(recipe, stages=[dict(recipe["stages"][0], train={"learning_rate": 1e-3})])
    rp.write_text(json.dumps(bad))
    with pytest.raises(SystemExit, match="unknown key 'learning_rate' in stages\\[0\\].train"):
        curriculum.main(args)


def test_shipped_recipes_are_valid():
    from hsa import curriculum
    recipes = sorted(os.listdir(os.path.join(ROOT, "train", "recipes")))
    assert recipes
    tasks = subprocess.run([HSA, "info"], capture_output=True, text=True, check=True).stdout
    for name in recipes:
        r = curriculum.load_recipe(os.path.join(ROOT, "train", "recipes", name))
        ModelConfig.from_json(os.path.join(ROOT, r["config"]))
        for stage in r["stages"]:
            for d in stage["data"]:
                for t in d["tasks"]:
                    assert f"  {t} " in tasks, (name, stage["name"], t)
