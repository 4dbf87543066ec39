"""The rules of a conversation turn that need no I/O: what the bot remembers, when it offers
a person, what counts as a failure and when failures escalate, how a refusal reads, and how
a citation is stored. The service (service.py) applies them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.actions.runner import ActionReply
from app.conversation.events import CustomerTurn
from app.db.steps import iso
from app.pipeline.types import Answer, Citation, Escalation, Triage, Turn

HISTORY_TURNS = 20  # what follow-up questions are resolved against
FAILURES_TO_ESCALATE = 2  # abstentions and thumbs down together
THUMBS_DOWN = 0
COMMENT_CHARS = 2000  # a satisfaction comment is kept up to this long

ASKED_FOR_PERSON = Escalation("asked_for_human", "The customer asked for a person.")
REPEATED_FAILURE = Escalation(
    "repeated_failure", "The bot failed twice (no answer or thumbs down)."
)

_ROLE_OF_STEP_TYPE = {"user_message": "customer", "assistant_message": "assistant"}


def action_answer(message: str, reply: ActionReply, triage: Triage) -> Answer:
    """A reply from the company's systems as the turn's answer: no passages, no citations."""
    return Answer(
        kind="action",
        intent="question",
        text=reply.text,
        citations=(),
        confidence=1.0 if reply.outcome == "answered" else 0.0,
        product=None,
        query=message,
        generator=f"action:{reply.action}",
        triage=triage,
    )


def remember(history: Iterable[Turn], *turns: Turn) -> tuple[Turn, ...]:
    """The history with `turns` added, keeping the last HISTORY_TURNS."""
    return (*history, *turns)[-HISTORY_TURNS:]


def history_from_messages(messages: Iterable[Mapping[str, Any]]) -> tuple[Turn, ...]:
    """The history of a resumed conversation from its stored messages (Chainlit's step shape:
    `type` and `output`): customer messages and assistant messages (an agent's reply is one
    too); system notices and tool steps are left out."""
    history: list[Turn] = []
    for message in messages:
        role = _ROLE_OF_STEP_TYPE.get(message.get("type") or "")
        if role == "customer":
            history.append(Turn("customer", message.get("output") or ""))
        elif role == "assistant":
            history.append(Turn("assistant", message.get("output") or ""))
    return remember(history)


def offers_person(answer: Answer) -> bool:
    """An answer or an abstention offers the customer a person; a handoff, greeting or
    thanks does not (one is on the way, or there is nothing to help with)."""
    return answer.kind in ("answer", "abstain")


def is_failure(answer: Answer) -> bool:
    """An abstention the bot did not already escalate counts towards FAILURES_TO_ESCALATE,
    unless the message was junk (no words at all): keyboard mashing twice is not a
    conversation for a person. A question asked again is a failure again: that customer is
    stuck."""
    junk = answer.triage is not None and answer.triage.junk
    return answer.escalation is None and answer.kind == "abstain" and not junk


def is_failure_feedback(value: int) -> bool:
    return value == THUMBS_DOWN


def failures_escalate(failures: int) -> bool:
    return failures >= FAILURES_TO_ESCALATE


WITHDRAWN_TEXT = (
    "Our support team has just taken over this conversation, so I'll leave my answer to "
    "them: a person will reply right here."
)


def refusal_text(message: str) -> str:
    """What the customer reads when the bot cannot take a message (AppError's message)."""
    return f"Sorry, I can't answer that: {message}."


def customer_step(turn: CustomerTurn) -> dict[str, Any]:
    """The customer's message as stored (Chainlit's step shape, app.db.steps). Only what the
    service knows: the chat's own write of the same message adds the rest."""
    step: dict[str, Any] = {
        "id": turn.message_id,
        "threadId": turn.conversation_id,
        "type": "user_message",
        "name": turn.customer,
        "output": turn.text,
    }
    if turn.sent_at is not None:
        step["createdAt"] = iso(turn.sent_at)
    return step


def citation_row(citation: Citation) -> dict[str, Any]:
    """A citation as app.db.conversations.record_citations stores it."""
    return {
        "marker": citation.marker,
        "passage_id": citation.passage_id,
        "source": citation.source,
        "title": citation.title,
        "heading_path": list(citation.heading_path),
        "section_paths": [list(path) for path in citation.section_paths],
        "url": citation.url,
        "page": citation.page,
        "product": citation.product,
        "snippet": citation.snippet,
    }


RATING_THANKS = "Thank you: you rated this conversation {rating} out of 5."
COMMENT_PROMPT = (
    "Write your comment in the box below: it goes to our support team, not to the assistant."
)
COMMENT_THANKS = "Thank you, your comment is with our support team."
