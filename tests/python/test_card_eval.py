"""tools/card_eval.py on a real `hsa eval` run of a small random model: the card gets one section with a row
per cell, rerunning replaces it, and a run without a summary is a clear error."""
import json
import os
import shutil
import subprocess
import sys

import pytest
import torch

from hsa.config import ModelConfig
from hsa.model import HSAModel
from hsa.safetensors_io import save_file

from tiny import HSA, ROOT, TINY, TOK

CARD_EVAL = os.path.join(ROOT, "tools", "card_eval.py")


def card_eval(*args):
    return subprocess.run([sys.executable, CARD_EVAL, *args], capture_output=True, text=True)


def test_card_section_from_eval_runs(tmp_path):
    if not os.path.exists(HSA):
        pytest.fail(f"{HSA} not built: run tools/setup.sh first")
    model = tmp_path / "tiny-model"
    model.mkdir()
    (model / "config.json").write_text(json.dumps(TINY))
    m = HSAModel(ModelConfig.from_json(str(model / "config.json"))).init_weights(3)
    save_file({k: v.to(torch.bfloat16) for k, v in m.state_dict().items()}, str(model / "model.safetensors"))
    shutil.copyfile(TOK, model / "tokenizer.model")
    card = model / "MODEL_CARD.md"
    card.write_text("# tiny-model\n\nWritten by hand.\n")
    run = tmp_path / "run"
    p = subprocess.run([HSA, "eval", "--models", str(model), "--tasks", "niah_single_1,qa1", "--lengths", "1K,2K",
                        "--n", "2", "--mode", "teacher_forced", "--out", str(run)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    r = card_eval(str(card), str(run))
    assert r.returncode == 0, r.stderr
    text = card.read_text()
    assert text.startswith("# tiny-model\n\nWritten by hand.\n")
    rows = [l for l in text.splitlines() if l.startswith("| niah_single_1 |") or l.startswith("| qa1 |")]
    assert len(rows) == 4 and "| niah_single_1 | 1K | 2 | teacher_forced | cpu (" in text
    summary = json.load(open(run / "summary.json"))
    mean = summary["models"]["tiny-model"]["cells"]["qa1"]["2048"]["mean"]
    assert f"| qa1 | 2K | 2 | teacher_forced |" in text and f"{mean:.1f}% [" in text
    rec = summary["models"]["tiny-model"]["cells"]["niah_single_1"]["2048"]["retrieval_recall"]
    row = next(l for l in rows if l.startswith("| niah_single_1 | 2K |"))
    assert (f"] | {rec:.0f}% |" if rec is not None else "] | - |") in row, row
    assert card_eval(str(card), str(run)).returncode == 0          # rerun: the section is replaced, not added
    assert card.read_text() == text
    empty = tmp_path / "empty"
    empty.mkdir()
    r = card_eval(str(card), str(empty))
    assert r.returncode != 0 and "no summary.json" in r.stderr
