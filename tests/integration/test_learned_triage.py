"""The learned triage on the real MiniLM encoder: training from the shipped examples and
taxonomy through `supportbot triage train`, scoring with `triage eval`, and `eval-intents`'s
JSON on a small slice of CLINC150 (skipped where ../shared is absent)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from app.doors.cli import build_parser, common
from app.ground.config import Settings
from app.ground.embedding import SentenceTransformerEmbedder
from app.learned.models import LearnedTriage
from tests.conftest import REPO, shared_dataset

INTENT_KEYS = {"accuracy", "oos_recall", "macro_f1", "p50_ms", "p95_ms"}


def _run(
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
) -> int:
    monkeypatch.setattr(common, "embedder", lambda _settings: embedder)
    monkeypatch.setattr(common, "settings", lambda: settings)
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


def _last_json(out: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return value


@pytest.mark.slow
def test_train_shipped_defaults_then_triage(
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    intents = REPO / "data" / "intents.toml"
    assert (
        _run(
            settings,
            embedder,
            monkeypatch,
            ["triage", "train", "--intents", str(intents), "--json"],
        )
        == 0
    )
    reports = _last_json(capsys.readouterr().out)
    assert set(reports) == {"complaint", "sentiment", "intent"}
    triage = LearnedTriage(settings.home, embedder)
    question = triage.assess("My firmware update fails with error E-17. What does it mean?")
    assert question.complaint is False
    assert question.route == "answer"
    angry = triage.assess(
        "Third time I've asked for my refund and still nothing. This is a disgrace.", explain=True
    )
    assert angry.complaint is True and angry.sentiment == "negative"
    assert angry.explanations["complaint"].nearest
    assert triage.assess("I want to talk to a real person").route == "queue:support"

    suite = REPO / "benchmarks" / "complaints_unseen" / "messages.jsonl"
    assert _run(settings, embedder, monkeypatch, ["triage", "eval", str(suite), "--json"]) == 0
    metrics = _last_json(capsys.readouterr().out)
    assert metrics["n"] == 120 and 0.0 <= metrics["f1"] <= 1.0 and metrics["p95_ms"] > 0


@pytest.mark.slow
def test_eval_intents_json_on_a_clinc_slice(
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    clinc = shared_dataset("clinc150")
    keep: set[str] = set()
    slice_dir = tmp_path / "clinc-slice"
    slice_dir.mkdir()
    for name, per_intent, oos in (("train", 20, 0), ("val", 5, 10), ("test", 5, 10)):
        counts: dict[str | None, int] = {}
        rows = []
        for line in (clinc / f"{name}.jsonl").read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            intent = row["intent"]
            if name == "train" and len(keep) < 8:
                keep.add(intent)
            if intent is not None and intent not in keep:
                continue
            limit = per_intent if intent is not None else oos
            if counts.get(intent, 0) < limit:
                counts[intent] = counts.get(intent, 0) + 1
                rows.append(line)
        (slice_dir / f"{name}.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    argv = ["eval-intents", str(slice_dir), "--shots", "10", "--json"]
    assert _run(settings, embedder, monkeypatch, argv) == 0
    metrics = _last_json(capsys.readouterr().out)
    assert INTENT_KEYS <= set(metrics)
    assert metrics["shots"] == 10 and metrics["train"] == 80
    assert 0.0 <= metrics["oos_recall"] <= 1.0
    assert metrics["accuracy"] >= 0.5  # eight easy intents: far above chance (0.125)
