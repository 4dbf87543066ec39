"""Chat messages as Chainlit describes them ("steps"), stored on `Message` rows.

Chainlit's data layer (app/chat/data_layer.py) and the conversation service
(app/conversation) both write messages in Chainlit's step shape: a plain mapping whose keys
are Chainlit's (`id`, `threadId`, `type`, `output`, `createdAt`...). Updates may be partial,
so only the keys present are copied. Functions take the session keyword-only and do not
commit: the caller owns the transaction (see app/db/chat_writes.py).

Who spoke is never taken from what a step says about itself: a customer's socket can send
any step shape, so a `user_message` is always a customer's, stored once and never rewritten
(`store_customer_message`), and Chainlit's writes may update only the bot's own rows. Agents'
replies and the handoff's notices are stored by app/handoff (escalations.add_message) with
their role set there.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy.orm import Session

from app.db import conversations as repo
from app.db import escalations as escalation_repo
from app.db.models import Message, utc_now
from app.ground.errors import AppError

ROLE_OF_STEP_TYPE = {
    "user_message": "customer",
    "assistant_message": "assistant",
    "system_message": "system",
}
OWN_METADATA = ("triage", "policy_topic", "answer_kind", "role", "agent_id")
NAME_MAX = 255  # Chainlit names a thread after the first message, which can be much longer

Step = Mapping[str, Any]


def iso(moment: datetime) -> str:
    """Chainlit's timestamp format: naive UTC ISO 8601 with a `Z` (what `utc_now()` makes)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def parse_time(text: str | None) -> datetime | None:
    """A Chainlit timestamp as an aware datetime; one without a zone is UTC."""
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def role_of(step_type: str) -> str:
    """Who spoke, for a step Chainlit writes: from its type alone, never from its metadata
    (a client could put `role: agent` there)."""
    return ROLE_OF_STEP_TYPE.get(step_type, "system")


# Step keys copied as they are onto the row's column of the same meaning.
_PLAIN_FIELDS = {
    "parentId": "parent_id",
    "input": "input",
    "language": "language",
    "command": "command",
    "modes": "modes",
    "tags": "tags",
    "waitForAnswer": "wait_for_answer",
    "defaultOpen": "default_open",
    "autoCollapse": "auto_collapse",
    "generation": "generation",
}


def apply_step(row: Message, step: Step) -> None:
    """Copy the fields present in `step` onto `row`: Chainlit's updates may be partial."""
    for key, column in _PLAIN_FIELDS.items():
        if key in step:
            setattr(row, column, step[key])
    if "type" in step:
        row.type = step["type"]
    if "name" in step:
        row.name = (step["name"] or "")[:NAME_MAX]
    if "output" in step:
        row.text = step["output"] or ""
    if "isError" in step:
        row.is_error = bool(step["isError"])
    if "streaming" in step:
        row.streaming = bool(step["streaming"])
    if "showInput" in step:
        show_input = step["showInput"]
        row.show_input = str(show_input).lower() if isinstance(show_input, bool) else show_input
    if "metadata" in step:
        # Chainlit sends the metadata it knows; what supportbot added (a turn's triage, an
        # answer's kind) must survive a later write of the same step.
        ours = {k: v for k, v in (row.metadata_ or {}).items() if k in OWN_METADATA}
        row.metadata_ = {**ours, **dict(step["metadata"] or {})}
    if step.get("icon"):  # Chainlit keeps a step's icon in its metadata too
        row.metadata_ = {**(row.metadata_ or {}), "icon": step["icon"]}
    if created_at := parse_time(step.get("createdAt")):
        row.created_at = created_at
    if "start" in step:
        row.start = parse_time(step["start"])
    if "end" in step:
        row.end = parse_time(step["end"])
    row.role = role_of(row.type)
    row.author = row.name if row.type in ROLE_OF_STEP_TYPE else None


def store_step(*, session: Session, step: Step) -> None:
    """Insert or update a step Chainlit writes; its conversation is created if Chainlit has not
    announced the thread yet. A `user_message` is a customer's: `store_customer_message`.

    Only the bot's own rows may be updated: an id that is a customer's message, a person's
    message (stored by app/handoff) or a row of another conversation is refused with
    AppError("message_id_taken") and nothing is written.
    """
    if step.get("type") == "user_message":
        store_customer_message(session=session, step=step)
        return
    row = session.get(Message, step["id"])
    if row is None:
        thread_id = _thread_of(step)
        repo.ensure_conversation(session, thread_id)
        row = Message(
            id=step["id"], conversation_id=thread_id, type="undefined", name="", text="",
            metadata_={}, created_at=utc_now(),
        )  # fmt: skip
        session.add(row)
    elif not written_by_bot(row) or step.get("threadId") not in (None, "", row.conversation_id):
        raise _taken(step["id"])
    apply_step(row, step)
    repo.ensure_conversation(session, row.conversation_id).updated_at = utc_now()


def store_customer_message(*, session: Session, step: Step) -> None:
    """Insert a customer's message from the trusted parts of `step` only: its id, thread,
    text and time. The type is `user_message`, the author is the step's name (the server
    sets it to the customer's identifier), and no client metadata is kept.

    A message is never rewritten: the same id again in the same conversation is the same
    message delivered twice and is left as it is; an id any other row has is refused with
    AppError("message_id_taken") and nothing is written.
    """
    thread_id = _thread_of(step)
    row = session.get(Message, step["id"])
    if row is not None:
        if row.conversation_id == thread_id and row.role == "customer":
            return
        raise _taken(step["id"])
    repo.ensure_conversation(session, thread_id).updated_at = utc_now()
    moment = parse_time(step.get("createdAt")) or utc_now()
    name = (step.get("name") or "")[:NAME_MAX]
    session.add(
        Message(
            id=step["id"], conversation_id=thread_id, role="customer", type="user_message",
            name=name, author=name, text=step.get("output") or "", metadata_={},
            created_at=moment, start=moment, end=moment,
        )
    )  # fmt: skip


def _thread_of(step: Step) -> str:
    thread_id = step.get("threadId")
    if not thread_id:
        raise AppError("step_without_thread", f"step {step['id']!r} has no threadId")
    return cast(str, thread_id)


def written_by_bot(row: Message) -> bool:
    """The row is one the bot wrote through Chainlit: an answer, a notice or one of Chainlit's
    own steps (the run an answer hangs under), not a customer's or a person's message."""
    return row.role != "customer" and "role" not in (row.metadata_ or {})


def _taken(message_id: str) -> AppError:
    return AppError("message_id_taken", f"message id {message_id!r} is already taken")


def take_customer_message(*, session: Session, step: Step) -> bool:
    """Store a customer message (if Chainlit has not yet) and mark it taken in hand; False
    when it already was (the same message delivered twice, same client id, is answered
    once) or when its id belongs to another message (nothing is written then)."""
    try:
        store_customer_message(session=session, step=step)
    except AppError as exc:
        if exc.code != "message_id_taken":
            raise
        return False
    session.flush()
    return escalation_repo.mark_handled(session, step["id"])


def message_origin(*, session: Session, message_id: str) -> tuple[str, str] | None:
    """Who wrote the message with that id (its role) and in which conversation; None when
    no message has that id."""
    row = session.get(Message, message_id)
    return (row.role, row.conversation_id) if row is not None else None


def message_by_id(*, session: Session, message_id: str) -> Message | None:
    return session.get(Message, message_id)
