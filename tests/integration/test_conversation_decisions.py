"""Follow-ups and questions back, as a customer meets them: real ingest, real MiniLM, real
index, extractive answers (issue 12, items 2 and 3)."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.doors.assistant import build_pipeline, load_catalog
from app.index.store import open_reader
from app.pipeline.answering import AnswerPipeline
from app.pipeline.markers import strip_markers
from app.pipeline.types import Answer, Turn
from tests.integration.conftest import Ingestor

DATA = Path(__file__).resolve().parents[2] / "data"

# Two sign-in services that both explain two-step sign-in, differently, and a billing page.
_CLOUD = """# Larkspur Cloud accounts

## Two-step sign-in

To turn on two-step sign-in for the whole organisation, an administrator opens
Organisation > Security. Every member then scans a QR code with an authenticator app at the
next sign-in, and recovery codes are printed once for the administrator to keep in a safe.
"""
_HOME_APP = """# Larkspur Home app accounts

## Two-step sign-in

To turn on two-step sign-in in the Home app, open Profile and switch on "Confirm sign-in by
text message". Each new phone that signs in then receives a six-digit code by SMS, valid for
ten minutes; a household shares one account, so the code goes to the owner's mobile number.
"""
_BILLING = """# Invoices

Invoices are emailed on the first working day of each month. Older invoices can be
downloaded from the account page under Billing.
"""


def _pipeline(
    ingestor: Ingestor, root: Path, *, ask_which_one: bool = False
) -> Iterator[AnswerPipeline]:
    report = ingestor.ingest(root)
    assert not report.failures
    reader = open_reader(ingestor.settings)
    answer = ingestor.settings.answer.model_copy(update={"ask_which_one": ask_which_one})
    settings = ingestor.settings.model_copy(update={"answer": answer})
    try:
        yield build_pipeline(
            settings, reader, ingestor.embedder, catalog=load_catalog(settings, root)
        )
    finally:
        reader.close()


@pytest.fixture
def demo(ingestor: Ingestor, tmp_path: Path) -> Iterator[AnswerPipeline]:
    """The demo corpus's LR-200 manual and knowledge base (enough for the widget's case)."""
    root = tmp_path / "demo"
    (root / "manuals").mkdir(parents=True)
    shutil.copy(DATA / "manuals" / "lr-200-quick-start.md", root / "manuals")
    shutil.copytree(DATA / "kb", root / "kb")
    shutil.copy(DATA / "products.toml", root)
    yield from _pipeline(ingestor, root)


def _services(tmp_path: Path) -> Path:
    root = tmp_path / "services"
    (root / "kb").mkdir(parents=True)
    for name, text in (("cloud.md", _CLOUD), ("home-app.md", _HOME_APP), ("billing.md", _BILLING)):
        (root / "kb" / name).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def two_services(ingestor: Ingestor, tmp_path: Path) -> Iterator[AnswerPipeline]:
    """Two services' knowledge bases, with "which one do you mean?" switched on."""
    yield from _pipeline(ingestor, _services(tmp_path), ask_which_one=True)


def ask(pipeline: AnswerPipeline, message: str, *history: Turn) -> Answer:
    return asyncio.run(pipeline.answer(message, tuple(history)))


def test_a_follow_up_about_the_red_light_gets_the_red_light_answer(
    demo: AnswerPipeline,
) -> None:
    question = "How do I factory reset my LR-200?"
    first = ask(demo, question)
    assert first.kind == "answer" and "6 seconds" in first.text

    follow = ask(
        demo,
        "and what if the light stays red?",
        Turn("customer", question),
        Turn("assistant", first.text),
    )
    assert follow.kind == "answer" and follow.product == "LR-200"
    assert strip_markers(follow.text).strip() != strip_markers(first.text).strip()
    # Something the first answer did not say, from a passage about the red light.
    assert "hardware fault" in follow.text or "/recovery" in follow.text
    assert "6 seconds" not in follow.text
    assert any(
        "red" in c.snippet and ("LED guide" in c.heading_path or "Factory reset" in c.heading_path)
        for c in follow.citations
    )


def test_an_underspecified_question_is_asked_back_and_the_choice_answered(
    two_services: AnswerPipeline,
) -> None:
    question = "How do I turn on two-step sign-in?"
    clarify = ask(two_services, question)
    assert clarify.kind == "clarify" and not clarify.citations
    assert 2 <= len(clarify.clarify_options) <= 3
    assert set(clarify.clarify_options) == {"Larkspur Cloud accounts", "Larkspur Home app accounts"}
    assert all(option in clarify.text for option in clarify.clarify_options)

    # The customer clicks (or types) an option: the bot goes on with the question.
    history = (Turn("customer", question), Turn("assistant", clarify.text))
    chosen = ask(two_services, "Larkspur Home app accounts", *history)
    assert chosen.kind == "answer"
    assert "text message" in chosen.text or "SMS" in chosen.text
    assert {c.source for c in chosen.citations} == {"kb/home-app.md"}

    typed = ask(two_services, "the cloud one", *history)
    assert typed.kind == "answer"
    assert {c.source for c in typed.citations} == {"kb/cloud.md"}


def test_a_question_that_names_its_subject_is_answered_without_asking(
    two_services: AnswerPipeline,
) -> None:
    answer = ask(two_services, "How do I turn on two-step sign-in in the Home app?")
    assert answer.kind == "answer"
    assert {c.source for c in answer.citations} == {"kb/home-app.md"}

    invoices = ask(two_services, "When are invoices sent?")
    assert invoices.kind == "answer" and "first working day" in invoices.text


def test_by_default_the_bot_answers_instead_of_asking_which_document(
    ingestor: Ingestor, tmp_path: Path
) -> None:
    for pipeline in _pipeline(ingestor, _services(tmp_path)):
        answer = ask(pipeline, "How do I turn on two-step sign-in?")
        assert answer.kind == "answer" and answer.citations and not answer.clarify_options
