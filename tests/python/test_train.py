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
    # --recard writes the same card from stages.json, and keeps the engine's section (tools/card_eval.py)
    engine = "\n<!-- engine-eval: begin (x) -->\n## Accuracy measured by the engine\n\nrows\n<!-- engine-eval: end -->\n"
    open(out / "MODEL_CARD.md", "w").write(card + engine)       # the layout tools/card_eval.py writes
    export.main(["--recard", str(out)])
    again = open(out / "MODEL_CARD.md").read()
    assert again == card + engine and again.count("## Not measured here") == 1
    with pytest.raises(SystemExit, match="stages.json not found"):
        export.main(["--recard", str(data["dir"])])


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


def test_evidence_chunks_hold_the_evidence(data):
    """The markers of the datasets locate the evidence: the queried needle's span holds the answer's digits, and
    the chunks marked as evidence are exactly the ones that span touches."""
    ds = TokenDatasets(data["paths"])
    assert not ds.files_without_markers()
    S = TINY["hsa"]["chunk_size"]
    rows = [r for r in ds.rows_train if r.task == "niah_single_1"][:8]
    for r in rows:
        toks, mask = ds.tokens(r)
        ev = ds.evidence(r)
        assert len(ev) == 1
        p, n = ev[0]
        answer = [int(t) for t in toks[mask.astype(bool)]]
        digits = answer[1:] if len(answer) > 1 else answer      # the answer starts with a space token
        span = [int(t) for t in toks[p:p + n]]
        assert any(span[i:i + len(digits)] == digits for i in range(len(span) - len(digits) + 1)), r
        C = (len(toks) - 2) // S
        chunks = ds.evidence_chunks([r], C, S)[0]
        assert chunks.tolist() == [c * S < p + n and p < (c + 1) * S for c in range(C)]
    qa = [r for r in ds.rows_train if r.task == "qa1"][0]
    assert ds.evidence(qa)                                     # the supporting fact


def test_retrieval_loss_targets_the_evidence():
    """Scores that put the evidence first with sigmoid near 1 there and near 0 elsewhere have a near-zero loss;
    of several evidence chunks one open one suffices; chunks not yet complete at a position never count;
    positions without visible evidence are left out."""
    S, L, C = 4, 16, 3                                  # chunks end at 4, 8, 12: visible from t = 4, 8, 12
    ev = torch.tensor([[False, True, False]])
    ans = torch.zeros(1, L)
    ans[0, 13:] = 1
    good = torch.full((1, L, 1, C), -12.0)
    good[..., 1] = 12.0
    good[..., 2] = -12.0
    bad = -good
    lg = train.retrieval_loss([{"scores": good}], ev, ans, S)
    lb = train.retrieval_loss([{"scores": bad}], ev, ans, S)
    assert float(lg) < 1e-4 and float(lb) > 20
    invisible = good.clone()
    invisible[0, :12, :, 2] = 50.0                      # chunk 2 is complete only from t = 12
    invisible[0, :13] = 99.0                            # no answer there
    assert float(train.retrieval_loss([{"scores": invisible}], ev, ans, S)) == pytest.approx(float(lg))
    assert train.retrieval_loss([{"scores": good}], ev, torch.zeros(1, L), S) is None
    two = torch.tensor([[True, True, False]])           # a needle across a chunk boundary: either chunk may
    for open_c in (0, 1):                               # take the weight, the split is the model's choice
        one = torch.full((1, L, 1, C), -12.0)
        one[..., open_c] = 12.0
        assert float(train.retrieval_loss([{"scores": one}], two, ans, S)) < 1e-4
    assert float(train.retrieval_loss([{"scores": torch.full((1, L, 1, C), -12.0)}], two, ans, S)) > 10
    shut = torch.full((1, L, 1, C), -80.0, requires_grad=True)   # gates far shut: still a finite loss and a
    lsh = train.retrieval_loss([{"scores": shut}], ev, ans, S)     # gradient that opens the evidence gate
    lsh.backward()
    assert 70 < float(lsh) < 100 and float(shut.grad[0, 13:, 0, 1].sum()) < 0
    late = torch.tensor([[False, False, True]])         # evidence visible only from t = 12
    ans2 = torch.zeros(1, L)
    ans2[0, 9:12] = 1
    assert train.retrieval_loss([{"scores": good}], late, ans2, S) is None


def test_retrieval_loss_trains_the_selection(data):
    """Optimizing the retrieval loss alone on one batch makes the model select the needle's chunk at the answer
    positions and give it the weight (gradients reach queries and landmarks through the scores)."""
    torch.manual_seed(0)
    cfg = ModelConfig.from_json(data["config"])
    ds = TokenDatasets(data["paths"])
    model = HSAModel(cfg).init_weights(5)
    rows = [r for r in ds.rows_train if r.task == "niah_single_1"][:4]
    ids, _, ans, _ = ds.batch(rows)
    S = cfg.hsa.chunk_size

    def run():
        _, trace = model(ids, return_trace=True)
        ev = ds.evidence_chunks(rows, trace[0]["scores"].shape[-1], S)
        return trace, ev

    trace, ev = run()
    (n, hit0, w0), = train.evidence_selected(trace, ev, ans, S)
    assert n > 0
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(40):
        trace, ev = run()
        loss = train.retrieval_loss(trace, ev, ans, S)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with torch.no_grad():
        trace, ev = run()
    (n1, hit1, w1), = train.evidence_selected(trace, ev, ans, S)
    assert n1 == n and hit1 == n and w1 / n > 0.9 and w1 > w0, (hit0, w0, hit1, w1, n)


def test_retrieval_loss_in_training_runs_and_needs_markers(data):
    import h5py
    out = data["dir"] / "retrieval"
    run_train(data, out, "--retrieval-loss", "1.0", "--stop-after", "3")
    log = [json.loads(l) for l in open(out / "log.jsonl")]
    assert all("loss_retrieval" in r for r in log if r.get("length"))
    held = [v for v in log[-1]["heldout"].values() if "evidence_hit" in v]
    assert held and all(len(v["evidence_hit"]) == len(v["evidence_weight"]) == 1 for v in held)
    bare = str(data["dir"] / "bare.h5")                 # a dataset written before markers existed
    shutil.copy(data["paths"][0], bare)
    with h5py.File(bare, "a") as f:
        for k in ("marker_offsets", "marker_pos", "marker_len", "marker_kind"):
            del f[k]
    with pytest.raises(SystemExit, match="needs markers; '.*bare.h5' has none"):
        train.main(["--config", data["config"], "--data", bare, "--out", str(data["dir"] / "r2"),
                    "--retrieval-loss", "1", "--device", "cpu"])
    with pytest.raises(SystemExit, match="--retrieval-loss must be >= 0"):
        run_train(data, data["dir"] / "r3", "--retrieval-loss", "-1")
    broken = str(data["dir"] / "broken.h5")
    shutil.copy(data["paths"][0], broken)
    with h5py.File(broken, "a") as f:
        k = f["marker_kind"][:]
        k[0] = 99
        f["marker_kind"][:] = k
    with pytest.raises(ValueError, match="broken.h5.*marker_kind outside"):
        TokenDatasets([broken])
    short = str(data["dir"] / "short.h5")                # offsets that run past the markers
    shutil.copy(data["paths"][0], short)
    with h5py.File(short, "a") as f:
        mo = f["marker_offsets"][:]
        mo[-1] += 1
        f["marker_offsets"][:] = mo
    with pytest.raises(ValueError, match="short.h5.*marker_offsets do not index"):
        TokenDatasets([data["paths"][1], short])
