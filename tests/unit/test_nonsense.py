"""Keyboard mashing is recognised, so that two of them make no escalation; nothing a real
customer writes is called nonsense (numbers, other languages, a single short word)."""

from __future__ import annotations

import pytest

from app.conversation.rules import is_failure
from app.ground.words import is_nonsense
from app.pipeline.triage import triage
from app.pipeline.types import Answer, Triage


@pytest.mark.parametrize("text", ["asdfgh jkl qwerty", "sdlkfj sdfkj", "kjh", "xzcv bnm,,,"])
def test_mashing_is_nonsense(text: str) -> None:
    assert is_nonsense(text)


@pytest.mark.parametrize(
    "text",
    [
        "hi",
        "LR-200?",
        "12345-678",
        "Mein Router startet ständig neu",
        "mi router no funciona",
        "Le routeur ne marche pas",
        "My LA-6 blinks red",
        "",
        "???",
    ],
)
def test_real_messages_are_not_nonsense(text: str) -> None:
    assert not is_nonsense(text)


def test_an_abstention_on_nonsense_is_no_failure() -> None:
    mashing = triage("asdfgh jkl qwerty")
    question = triage("How do I bond two WAN links on the LR-900?")
    assert mashing.junk and not question.junk and mashing.to_json()["junk"] is True
    assert not is_failure(abstention(mashing))
    assert is_failure(abstention(question))


def abstention(turn: Triage) -> Answer:
    return Answer("abstain", "question", "I could not find that.", (), 0.1, None, "q", triage=turn)
