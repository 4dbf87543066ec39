"""The chat's triage runs on the learned models: trained from their sources when none are
stored, retrained when the company's taxonomy changes, left alone when an operator trained
them from another file, and deciding complaints and intents on the real MiniLM encoder."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

import pytest

from app.doors.triage_models import current_triage, refresh_models
from app.ground.config import Settings
from app.ground.embedding import SentenceTransformerEmbedder
from app.ground.errors import AppError
from app.learned.store import ModelStore
from app.pipeline.triage import Triager
from tests.conftest import REPO


@pytest.fixture
def company(tmp_path: Path) -> Settings:
    """A home with no models and a data folder holding a copy of the demo taxonomy."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(REPO / "data" / "intents.toml", data / "intents.toml")
    return Settings(home=tmp_path / "home", data_dir=data)


def versions(settings: Settings) -> dict[str, str | None]:
    return {
        task: ModelStore(settings.home, task).current_version()
        for task in ("complaint", "sentiment", "intent")
    }


def test_models_are_trained_once_then_follow_their_taxonomy(
    company: Settings, embedder: SentenceTransformerEmbedder
) -> None:
    first = refresh_models(company, lambda: embedder)
    assert sorted(first) == ["complaint", "intent", "sentiment"]
    stored = versions(company)
    assert all(stored.values())

    assert refresh_models(company, lambda: embedder) == []  # nothing changed: nothing trained
    assert versions(company) == stored

    taxonomy = company.data_dir / "intents.toml"
    taxonomy.write_text(
        taxonomy.read_text(encoding="utf-8")
        + '\n[[intent]]\nname = "press_enquiry"\nroute = "queue:press"\nexamples = [\n'
        '  "I am a journalist writing about home routers.",\n'
        '  "Could your press office comment on the recall?",\n'
        '  "Who handles media requests at your company?",\n'
        '  "I would like an interview with your CEO for our magazine.",\n'
        '  "Is there a press kit with product photos?",\n]\n',
        encoding="utf-8",
    )
    assert refresh_models(company, lambda: embedder) == ["intent"]
    after = versions(company)
    assert after["complaint"] == stored["complaint"] and after["intent"] != stored["intent"]
    triager = Triager(None, embedder, current_triage(company, embedder))
    press = triager("Hello, I'm a reporter, can your press office answer a few questions?")
    assert press.company_intent == "press_enquiry" and press.intent_route == "queue:press"


def test_a_model_trained_from_another_file_is_the_operators_own(
    company: Settings, embedder: SentenceTransformerEmbedder, tmp_path: Path
) -> None:
    other = tmp_path / "our_intents.toml"
    shutil.copy(company.data_dir / "intents.toml", other)
    from app.doors.triage_models import train_models

    train_models(company, embedder, intents=other)
    theirs = versions(company)["intent"]
    (company.data_dir / "intents.toml").write_text(
        (company.data_dir / "intents.toml").read_text(encoding="utf-8") + "\n# edited\n",
        encoding="utf-8",
    )
    assert "intent" not in refresh_models(company, lambda: embedder)
    assert versions(company)["intent"] == theirs


def test_a_broken_taxonomy_is_named_and_the_stored_model_keeps_serving(
    company: Settings,
    embedder: SentenceTransformerEmbedder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    refresh_models(company, lambda: embedder)
    before = versions(company)["intent"]
    (company.data_dir / "intents.toml").write_text(
        '[[intent]]\nname = "a"\nroute = "teleport"\nexamples = ["x"]\n'
        '[[intent]]\nname = "b"\nexamples = ["y"]\n',
        encoding="utf-8",
    )
    with pytest.raises(AppError, match="unknown route 'teleport'"):
        refresh_models(company, lambda: embedder)
    with caplog.at_level(logging.ERROR):
        learned = current_triage(company, embedder)
    assert "unknown route 'teleport'" in caplog.text
    assert versions(company)["intent"] == before and "intent" in learned.heads


@pytest.fixture
def learned_triager(company: Settings, embedder: SentenceTransformerEmbedder) -> Triager:
    return Triager(None, embedder, current_triage(company, embedder))


PLAIN_QUESTIONS = [
    "My firmware update fails with error E-17. What does it mean?",
    "How do I fix error E-31 clock not synchronized?",
    "I changed the management VLAN on the LS-24P and lost access. Help!",
    "My LR-200 keeps rebooting every few minutes, what can I try?",
]


@pytest.mark.parametrize("question", PLAIN_QUESTIONS)
def test_a_troubleshooting_question_is_not_a_complaint(
    learned_triager: Triager, question: str
) -> None:
    verdict = learned_triager(question)
    assert not verdict.complaint, verdict.signals
    # The agent can see why: the model's probability and the nearest example it learned from.
    assert any(s.startswith("complaint model: ") for s in verdict.signals)
    assert any(s.startswith('like "') for s in verdict.signals)


def test_an_angry_complaint_is_one_with_negative_mood_and_its_intent(
    learned_triager: Triager,
) -> None:
    verdict = learned_triager(
        "Third time this month the router dies and your support never calls back. "
        "I'm sick of it, this is a disgrace."
    )
    assert verdict.complaint and verdict.complaint_score >= 0.5
    assert verdict.sentiment_label == "negative" and verdict.sentiment_score < 0
    assert verdict.intent == "complaint"
    billing = learned_triager("I was charged twice for my cloud subscription this month.")
    assert billing.company_intent == "account_billing"
    assert billing.intent_route == "queue:billing"
    assert billing.to_json()["company_intent"] == "account_billing"


def test_a_request_for_a_person_is_still_read_by_triage(learned_triager: Triager) -> None:
    verdict = learned_triager("My LR-200 keeps rebooting, can a person help me?")
    assert verdict.intent == "human_request"


@pytest.mark.parametrize(
    "follow_up", ["and how long does that take?", "ok and then?", "why?", "hmm ok", "yes"]
)
def test_a_short_follow_up_is_neither_a_complaint_nor_negative(
    learned_triager: Triager, follow_up: str
) -> None:
    verdict = learned_triager(follow_up)
    assert not verdict.complaint and verdict.sentiment_label != "negative", verdict.signals
