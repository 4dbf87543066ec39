"""The questions the bot could not answer: the customer message behind each answer in which it
abstained ("I couldn't find an answer"), or that the customer gave a thumbs down. Read-only;
the console groups them into the knowledge-base articles worth writing next.

Answers do not point at the question they answer (Chainlit's parent ids are not reliable for
that), so the question is the conversation's latest customer message at or before the answer,
which is how the chat takes turns.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from app.db.models import Feedback, Message


@dataclass(frozen=True)
class FailedQuestion:
    message_id: str  # the customer's message
    conversation_id: str
    text: str  # as the customer typed it (never rendered as markup)
    asked_at: datetime
    abstained: bool  # the bot said it did not know
    thumbs_down: bool  # the bot answered and the customer voted it down


def failed_questions(session: Session, *, since: datetime, limit: int) -> list[FailedQuestion]:
    """Up to `limit` customer questions the bot failed on, answered at or after `since`,
    newest first; a question both abstained on and voted down appears once."""
    question = aliased(Message)
    # The latest customer message of the same conversation at or before the answer.
    asked = (
        select(question.id)
        .where(
            question.conversation_id == Message.conversation_id,
            question.role == "customer",
            question.created_at <= Message.created_at,
        )
        .order_by(question.created_at.desc(), question.id.desc())
        .limit(1)
        .correlate(Message)
        .scalar_subquery()
    )
    answers = select(asked, Message.created_at).where(
        Message.role == "assistant", Message.created_at >= since
    )
    abstained = answers.where(Message.metadata_["answer_kind"].as_string() == "abstain")
    disliked = answers.join(Feedback, Feedback.message_id == Message.id).where(Feedback.value == 0)
    why: dict[str, set[str]] = {}
    latest: dict[str, datetime] = {}
    for label, query in (("abstain", abstained), ("thumbs_down", disliked)):
        # Newest first and capped: `limit` answers of each kind cover `limit` questions.
        for question_id, answered_at in session.execute(
            query.order_by(Message.created_at.desc()).limit(limit)
        ):
            if question_id is None:
                continue  # an answer before any customer message (a greeting): no question
            why.setdefault(question_id, set()).add(label)
            latest[question_id] = max(answered_at, latest.get(question_id, answered_at))
    chosen = sorted(latest, key=lambda qid: latest[qid], reverse=True)[:limit]
    found: dict[str, Message] = {}
    if chosen:
        rows = session.scalars(select(Message).where(Message.id.in_(chosen)))
        found = {row.id: row for row in rows}
    return [
        FailedQuestion(
            message_id=qid,
            conversation_id=found[qid].conversation_id,
            text=found[qid].text,
            asked_at=found[qid].created_at,
            abstained="abstain" in why[qid],
            thumbs_down="thumbs_down" in why[qid],
        )
        for qid in chosen
        if qid in found and found[qid].text.strip()
    ]
