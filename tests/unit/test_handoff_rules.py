"""The handoff's rules without a database: the state table, policy topics, the brief."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.ground.errors import AppError
from app.ground.render import inert
from app.handoff.brief import (
    as_written,
    build_brief,
    conversation_sentiment,
    effective_priority,
)
from app.handoff.machine import bot_may_answer, next_state
from app.handoff.summary import extractive_summary
from app.handoff.transcript import BriefTurn
from app.pipeline.policy import policy_topic
from app.pipeline.triage import triage


def test_state_table_allows_the_handoff_and_refuses_the_rest() -> None:
    assert next_state("bot", "escalate") == "queued"
    assert next_state("queued", "escalate") == "queued"  # idempotent
    assert next_state("queued", "claim") == "assigned"
    assert next_state("assigned", "assign") == "assigned"
    assert next_state("assigned", "release") == "queued"
    assert next_state("assigned", "resolve") == "bot"
    assert next_state("assigned", "return") == "bot"
    for state, move in [("bot", "claim"), ("assigned", "claim"), ("queued", "resolve"),
                        ("bot", "resolve"), ("bot", "release")]:  # fmt: skip
        with pytest.raises(AppError, match=f"cannot {move} a conversation that is {state}"):
            next_state(state, move)  # type: ignore[arg-type]
    assert bot_may_answer("bot") and not bot_may_answer("queued")
    assert not bot_may_answer("assigned")


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("I want my money back for this AP-2", "refund"),
        ("Can I get a refund?", "refund"),
        ("How long do refunds take?", None),  # how refunds work: the knowledge base answers
        ("the power brick is sparking", "safety"),
        ("there is a burning smell from the switch", "safety"),
        ("my solicitor will be in touch", "legal"),
        ("How do I reset my LR-200?", None),
        ("The LED is burning bright orange, what does it mean?", None),
        ("Will the outdoor AP cover the court yard?", None),
        ("I'll see you in small claims court", "legal"),
    ],
)
def test_policy_topics(text: str, topic: str | None) -> None:
    assert policy_topic(text) == topic


def _turn(text: str) -> BriefTurn:
    return BriefTurn("customer", text, triage(text).to_json())


def test_brief_gathers_what_the_agent_needs() -> None:
    turns = [
        _turn("My LR-200 drops the wifi every evening."),
        BriefTurn(
            "assistant",
            "Move it away from the microwave [1]. Then retry [2].",
            sources=("LR-200 Manual", "KB: Wi-Fi"),
            kind="answer",
        ),  # fmt: skip
        _turn("Still dropping. This is useless, order 77812 arrived a week ago!"),
        BriefTurn("assistant", "Sorry", kind="abstain"),
    ]
    brief = build_brief(turns, ["complaint", "complaint", "repeated_failure"])
    assert brief.reasons == ["complaint", "repeated_failure"]
    assert brief.summary.splitlines() == [
        "Problem: My LR-200 drops the wifi every evening.",
        "Product: LR-200",
        "Tried: the bot answered 1 time(s) from LR-200 Manual; KB: Wi-Fi; the bot found no "
        'answer in the documentation; then the customer wrote "Still dropping."',
        "Wants: has a complaint; the bot could not answer twice",
    ]
    assert "Move it away from the microwave. (sources: LR-200 Manual; KB: Wi-Fi)" in (
        brief.bot_suggested
    )
    assert "Could not find an answer" in brief.bot_suggested
    assert {"kind": "order", "text": "order 77812", "value": "77812"} in brief.entities
    assert brief.sentiment["trend"] == "worsening" and brief.sentiment["label"] == "negative"
    assert brief.priority == 1  # a complaint, fury and an order number


def test_a_calm_request_for_a_person_stays_low_and_rises_while_waiting() -> None:
    brief = build_brief([_turn("Could I chat with a person please?")], ["asked_for_human"])
    assert brief.priority == 3
    queued = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert effective_priority(3, queued, queued + timedelta(minutes=14), 15) == 3
    assert effective_priority(3, queued, queued + timedelta(minutes=31), 15) == 1
    assert effective_priority(3, queued, queued + timedelta(hours=5), 15) == 1


def test_the_brief_quotes_the_bots_steps_as_written() -> None:
    stored = inert("1. Update the LR-200 firmware to 4.2 [1].\n2. Restart it.")
    turns = [
        BriefTurn("customer", "My LR-200 drops every hour", triage=triage("LR-200").to_json()),
        BriefTurn("assistant", as_written("assistant", stored), sources=("LR-200 Guide",),
                  kind="answer"),
    ]  # fmt: skip
    brief = build_brief(turns, ["asked_for_human"])
    assert brief.bot_suggested == "- Update the LR-200 firmware to 4.2. (sources: LR-200 Guide)"
    assert as_written("customer", "1\\. as typed") == "1\\. as typed"  # people's text is kept


def _scored(*scores: float) -> list[BriefTurn]:
    return [
        BriefTurn("customer", f"turn {i}", {"sentiment_score": s}) for i, s in enumerate(scores)
    ]


def test_a_furious_turn_is_not_summarised_as_a_calm_customer() -> None:
    # Furious, then a polite "ok thanks": the agent is still warned of the anger.
    mood = conversation_sentiment(_scored(0.1, -0.81, 0.4))
    assert mood["label"] == "negative" and mood["min"] == -0.81 and mood["last"] == 0.4
    # Once the anger is more than RECENT_TURNS turns back and the customer is content, it is.
    calmer = conversation_sentiment(_scored(-0.81, 0.3, 0.5, 0.6))
    assert calmer["label"] == "positive" and calmer["trend"] == "improving"
    assert conversation_sentiment(_scored(0.5, 0.2, -0.4, -0.6))["trend"] == "worsening"


def test_the_summary_states_the_problem_not_the_greeting_and_what_they_want() -> None:
    refund = BriefTurn(
        "customer", "I want my money back for this AP-2, it never worked.",
        {**triage("I want my money back").to_json(), "company_intent": "returns_and_refunds"},
        topic="refund",
    )  # fmt: skip
    turns = [_turn("hi"), _turn("Hello there!"), refund]
    summary = extractive_summary(turns, ["policy_topic"]).splitlines()
    assert summary[0] == "Problem: I want my money back for this AP-2, it never worked."
    assert summary[-1] == "Wants: raised a refund; latest message reads as returns and refunds"
    assert not any(line.startswith("Tried:") for line in summary)  # the bot never answered
    assert extractive_summary([BriefTurn("assistant", "Hi!", kind="answer")], []) == ""
