"""The small model's whole lifecycle on the tiny model and the CPU build of vLLM:
dataset from the demo tickets -> a few LoRA training steps -> eval against the base ->
promote (runtime LoRA loading, no restart) -> the app answers through the new adapter, with
requests running across the switch; and a worse adapter refused.

Plumbing, on the tiny random-weight model (its LoRA steps take milliseconds, so the whole
loop fits CI's time): what is under test is that every command runs end to end, that the
adapter is loaded at runtime and answers after the promotion, and the verdict's rules, not
what the tuned model says. Its text is noise, so the app's answers are pinned to a cited
sentence with structured output (`choice`). On the real model (var/vllm-tier/smollm2),
test_finetune_real_model.py shows the gate telling a good adapter from one trained on
shuffled answers; benchmarks/finetune_effect.py measures what tuning buys.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from app.db.engine import make_engine
from app.db.promotions import PromotedModelName, promotion_history
from app.doors.assistant import make_generator
from app.doors.cli import main
from app.ground.config import get_settings
from app.pipeline.generators.base import GenerationRequest, GeneratorUnavailable
from app.pipeline.generators.vllm import VllmGenerator
from app.pipeline.retrieval import RetrievedPassage
from tests.vllm_tier.server import BASE_MODEL, TIER, VllmServer

REPO = Path(__file__).resolve().parents[2]
CITED = "Hold the reset button for ten seconds [1]."


async def _text(generator: VllmGenerator) -> str:
    return "".join([piece async for piece in generator.stream(_request())])


def _last_json(out: str) -> dict[str, object]:
    return dict(json.loads(out.strip().splitlines()[-1]))


@pytest.fixture
def installation(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, vllm_server: VllmServer) -> Path:
    """The demo data ingested into a fresh home, the model server configured."""
    monkeypatch.setenv("SUPPORTBOT_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SUPPORTBOT_DATA_DIR", str(REPO / "data"))
    monkeypatch.setenv("SUPPORTBOT_MODEL__BASE_URL", vllm_server.base_url)
    monkeypatch.setenv("SUPPORTBOT_MODEL__NAME", BASE_MODEL)
    monkeypatch.setenv("SUPPORTBOT_MODEL__MAX_TOKENS", "64")
    monkeypatch.setenv("SUPPORTBOT_ANSWER__PASSAGES", "1")  # the tiny model reads 1,024 tokens
    monkeypatch.setenv("SUPPORTBOT_MODEL__CLASSIFY_INTENT", "false")
    monkeypatch.setenv(
        "SUPPORTBOT_MODEL__EXTRA_BODY", json.dumps({"structured_outputs": {"choice": [CITED]}})
    )
    get_settings.cache_clear()
    assert main(["db", "upgrade"]) == 0
    assert main(["ingest"]) == 0
    return tmp_path


def test_dataset_train_eval_promote_and_the_app_answers_through_the_adapter(
    installation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dataset, adapter = installation / "sft", installation / "adapter"

    # 1. The SFT set: retrieved passages + cited reference, personal data replaced.
    assert main(["finetune", "dataset", "--out", str(dataset), "--passages", "1"]) == 0
    stats = _last_json(capsys.readouterr().out)
    assert stats["train"] and stats["validation"]
    written = (dataset / "train.jsonl").read_text() + (dataset / "validation.jsonl").read_text()
    assert "LS24P-6B2R-00431" not in written  # a serial number in a demo ticket
    assert "[serial]" in written
    example = json.loads((dataset / "train.jsonl").read_text().splitlines()[0])
    assert [m["role"] for m in example["messages"]] == ["system", "user", "assistant"]

    # 2. A few LoRA steps on the CPU; the loss on the training examples goes down.
    assert (
        main(
            [
                "finetune", "train", "--dataset", str(dataset), "--base", str(TIER / "model"),
                "--out", str(adapter), "--steps", "30", "--learning-rate", "3e-3",
            ]
        )
        == 0
    )  # fmt: skip
    training = _last_json(capsys.readouterr().out)
    assert float(str(training["train_loss_last"])) < float(str(training["train_loss_first"]))
    assert (adapter / "adapter_config.json").is_file()

    # 3. Base, current and candidate on the held-out examples (the candidate gets loaded).
    evaluate = ["finetune", "eval", "--dataset", str(dataset), "--adapter", str(adapter)]
    evaluate += ["--base-model", BASE_MODEL, "--max-tokens", "24", "--limit", "6"]
    assert main(evaluate) == 0
    report = _last_json(capsys.readouterr().out)
    candidate = str(report["candidate"])
    models = report["models"]
    assert isinstance(models, dict) and set(models) == {"base", "current", "candidate"}

    # 4. Promote while answers keep streaming: none fails, and they move to the adapter.
    settings = get_settings()
    engine = make_engine(settings.resolved_database_url)
    generator = VllmGenerator(
        settings.model, model_name=PromotedModelName(engine, BASE_MODEL, ttl_s=0.2)
    )
    promoted = threading.Event()
    outcome: dict[str, int] = {}

    def run_promotion() -> None:
        outcome["code"] = main(["finetune", "promote", "--adapter", str(adapter)])
        promoted.set()

    async def answers_across_the_switch() -> list[tuple[str, str]]:
        # One answer before the promotion starts: on a fast machine the promotion can commit
        # before the first answer reads the name.
        seen = [(generator.current_model(), await _text(generator))]
        promoter = threading.Thread(target=run_promotion)
        promoter.start()
        try:
            # Keep answering until the candidate answers, or 5 s past the promotion (the name
            # is re-read every 0.2 s, so a fast server may answer a few more times as before).
            promoted_at = None
            while True:
                model = generator.current_model()
                seen.append((model, await _text(generator)))
                if promoted.is_set():
                    promoted_at = promoted_at or time.monotonic()
                    if model == candidate or time.monotonic() - promoted_at > 5:
                        return seen
        finally:
            promoter.join()
            await generator.aclose()

    try:
        seen = asyncio.run(answers_across_the_switch())
    except GeneratorUnavailable as exc:  # pragma: no cover - the failure under test
        pytest.fail(f"a request failed during the promotion: {exc}")
    if outcome["code"] != 0:
        pytest.fail(f"promotion refused: {capsys.readouterr().err} (report {models})")
    assert all(text == CITED for _, text in seen)
    assert seen[0][0] == BASE_MODEL and seen[-1][0] == candidate
    with Session(engine) as session:
        assert [p.model_name for p in promotion_history(session=session)] == [candidate]

    # 5. The app's own generator (built from settings, as the chat builds it) now asks for
    #    the adapter, and the adapter answers.
    async def the_apps_answer() -> tuple[str | None, str]:
        app_generator = make_generator(get_settings())
        assert app_generator is not None
        try:
            model = app_generator.current_model()
            return model, "".join([piece async for piece in app_generator.stream(_request())])
        finally:
            await app_generator.aclose()

    assert asyncio.run(the_apps_answer()) == (candidate, CITED)


def test_an_adapter_worse_than_the_current_model_is_refused(
    installation: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    adapter = installation / "adapter"
    assert main(["finetune", "dataset", "--out", str(installation / "sft"), "--passages", "1"]) == 0
    train = ["finetune", "train", "--dataset", str(installation / "sft"), "--base"]
    assert main([*train, str(TIER / "model"), "--out", str(adapter), "--steps", "2"]) == 0
    evaluate = ["finetune", "eval", "--dataset", str(installation / "sft"), "--adapter"]
    evaluate += [str(adapter), "--base-model", BASE_MODEL, "--max-tokens", "8", "--limit", "2"]
    assert main(evaluate) == 0
    capsys.readouterr()
    # Make the measured candidate worse than the current model (the weights are unchanged,
    # so the fingerprint still matches: only the verdict is under test here).
    report = json.loads((adapter / "evaluation.json").read_text())
    report["models"]["current"]["score"] = report["models"]["candidate"]["score"] + 0.1
    report["models"]["current"]["citation_validity"] = 1.0
    report["models"]["candidate"]["citation_validity"] = 0.5
    (adapter / "evaluation.json").write_text(json.dumps(report))

    assert main(["finetune", "promote", "--adapter", str(adapter)]) == 1
    err = capsys.readouterr().err
    assert "not promoted" in err and "citation_validity" in err
    engine = make_engine(get_settings().resolved_database_url)
    with Session(engine) as session:
        assert promotion_history(session=session) == []

    # An adapter changed after its evaluation is refused too.
    (adapter / "adapter_config.json").write_text(
        (adapter / "adapter_config.json").read_text().replace('"r": 8', '"r": 4')
    )
    assert main(["finetune", "promote", "--adapter", str(adapter)]) == 2
    assert "changed after it was evaluated" in capsys.readouterr().err


def _request() -> GenerationRequest:
    return GenerationRequest(
        question="How long do I hold the reset button?",
        history=(),
        passages=tuple[RetrievedPassage, ...](),
        product=None,
    )
