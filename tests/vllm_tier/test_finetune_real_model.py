"""The promote gate on the real model (SmolLM2-135M-Instruct, var/vllm-tier/smollm2): an
adapter trained on the KB's cited answers is promoted; one trained on the same examples with
their answers shuffled between them (so each cites a passage that does not say it) is
really worse, and `finetune promote` refuses it against the promoted one.

Kept short for CI: the KB articles only (42), one passage per prompt, a few LoRA steps each
on the CPU, a handful of held-out examples. The effect of a full run on the demo tickets is
benchmarks/finetune_effect.py's (docs/BENCHMARKS.md).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.db.engine import make_engine
from app.db.promotions import promotion_history
from app.doors.cli import main
from app.ground.config import get_settings
from tests.vllm_tier.server import REAL_MODEL, TIER, VllmServer

REPO = Path(__file__).resolve().parents[2]
STEPS = "16"


def _last_json(out: str) -> dict[str, object]:
    return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.fixture
def kb_installation(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, real_model_server: VllmServer
) -> Path:
    """The demo KB ingested into a fresh home, the real model server configured."""
    data = tmp_path / "data"
    shutil.copytree(REPO / "data" / "kb", data / "kb")
    shutil.copy(REPO / "data" / "products.toml", data / "products.toml")
    monkeypatch.setenv("SUPPORTBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(data))
    monkeypatch.setenv("SUPPORTBOT_MODEL__BASE_URL", real_model_server.base_url)
    monkeypatch.setenv("SUPPORTBOT_MODEL__NAME", REAL_MODEL)
    get_settings.cache_clear()
    assert main(["db", "upgrade"]) == 0
    assert main(["ingest"]) == 0
    return tmp_path


def _shuffled(dataset: Path, out: Path) -> Path:
    """The dataset with each training example's answer taken from the next example: same
    prompts, same answers, wrong pairs (the validation examples are left as they are)."""
    out.mkdir()
    shutil.copy(dataset / "validation.jsonl", out / "validation.jsonl")
    rows = [json.loads(line) for line in (dataset / "train.jsonl").read_text().splitlines()]
    answers = [(row["messages"][-1], row["abstain"]) for row in rows]
    with (out / "train.jsonl").open("w") as file:
        for n, row in enumerate(rows):
            row["messages"][-1], row["abstain"] = answers[(n + 1) % len(answers)]
            file.write(json.dumps(row) + "\n")
    return out


def _train_and_eval(dataset: Path, adapter: Path, capsys: pytest.CaptureFixture[str]) -> None:
    train = ["finetune", "train", "--dataset", str(dataset), "--base", str(TIER / REAL_MODEL)]
    train += ["--out", str(adapter), "--steps", STEPS, "--learning-rate", "2e-3"]
    assert main([*train, "--validation-limit", "0"]) == 0
    evaluate = ["finetune", "eval", "--dataset", str(dataset), "--adapter", str(adapter)]
    assert main([*evaluate, "--base-model", REAL_MODEL, "--max-tokens", "64"]) == 0
    capsys.readouterr()


def test_an_adapter_trained_on_shuffled_answers_is_refused_and_the_good_one_promoted(
    kb_installation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset = kb_installation / "sft"
    assert main(["finetune", "dataset", "--out", str(dataset), "--passages", "1"]) == 0
    capsys.readouterr()
    good, bad = kb_installation / "good", kb_installation / "shuffled"

    _train_and_eval(dataset, good, capsys)
    assert main(["finetune", "promote", "--adapter", str(good)]) == 0, capsys.readouterr().err
    good_report = json.loads((good / "evaluation.json").read_text())["models"]
    # Measured against the base model, which cites nothing the app would show.
    assert good_report["candidate"]["citation_validity"] > good_report["base"]["citation_validity"]

    _train_and_eval(_shuffled(dataset, kb_installation / "sft-shuffled"), bad, capsys)
    report = json.loads((bad / "evaluation.json").read_text())["models"]
    assert report["current"]["model"] == good_report["candidate"]["model"]
    assert main(["finetune", "promote", "--adapter", str(bad)]) == 1
    assert "not promoted" in capsys.readouterr().err, report

    engine = make_engine(get_settings().resolved_database_url)
    with Session(engine) as session:
        promoted = [p.model_name for p in promotion_history(session=session)]
    assert promoted == [good_report["candidate"]["model"]]
