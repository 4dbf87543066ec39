"""Supportbot's rows as Chainlit's dicts: users, steps, elements and threads.

What the data layer (app/chat/data_layer.py) returns to Chainlit and what app/chat/push.py
emits to a customer's socket are the same shapes, made here from app/db's rows. Messages
people wrote (agents, the handoff's notices) are stored as typed and made safe on the way
out (an agent's Markdown keeps its http(s) links, app.ground.people_markdown; a notice is
inert); the bot's own are stored already rendered.
"""

from __future__ import annotations

from typing import Any, cast
from urllib.parse import quote

from chainlit.element import ElementDict
from chainlit.step import StepDict
from chainlit.types import FeedbackDict, ThreadDict
from chainlit.user import PersistedUser

from app.db.models import Conversation, Customer, Element, Feedback, Message
from app.db.steps import iso
from app.ground.people_markdown import people_markdown
from app.ground.render import inert

PEOPLE = ("agent", "system")  # messages supportbot stores itself, as written


def persisted_user(customer: Customer) -> PersistedUser:
    return PersistedUser(
        id=customer.id,
        identifier=customer.identifier,
        display_name=customer.display_name,
        metadata=dict(customer.metadata_),
        createdAt=iso(customer.created_at),
    )


def show_input_value(stored: str | None) -> bool | str | None:
    return {"true": True, "false": False}.get(stored or "", stored)


def step_dict(row: Message, feedback: Feedback | None) -> StepDict:
    output = row.text
    role = (row.metadata_ or {}).get("role")
    if role == "agent":
        output = people_markdown(output)  # stored as typed; links work, nothing else is live
    elif role in PEOPLE:
        output = inert(output)  # stored as typed (for the console); shown literally here
    step: StepDict = {
        "id": row.id,
        "threadId": row.conversation_id,
        "parentId": row.parent_id,
        "name": row.name,
        "type": cast(Any, row.type),
        "output": output,
        "isError": row.is_error,
        "streaming": row.streaming,
        "showInput": show_input_value(row.show_input),
        "language": row.language,
        "command": row.command,
        "modes": row.modes,
        "tags": row.tags,
        "waitForAnswer": row.wait_for_answer,
        "defaultOpen": row.default_open,
        "autoCollapse": row.auto_collapse,
        "metadata": dict(row.metadata_ or {}),
        "generation": row.generation,
        "createdAt": iso(row.created_at),
        "start": iso(row.start) if row.start else None,
        "end": iso(row.end) if row.end else None,
    }
    if row.input is not None:
        step["input"] = row.input
    if feedback is not None:
        step["feedback"] = FeedbackDict(
            id=feedback.id,
            forId=feedback.message_id,
            value=cast(Any, feedback.value),
            comment=feedback.comment,
        )
    return step


def element_url(row: Element) -> str | None:
    """Where the browser loads the element from.

    Chainlit's UI fetches a Text element's body from its URL; a live session serves it from
    memory, which is gone when the thread is resumed. A `data:` URL carries the stored body.
    """
    if row.url or row.content is None:
        return row.url
    return f"data:{row.mime or 'text/plain'};charset=utf-8,{quote(row.content)}"


def element_dict(row: Element) -> ElementDict:
    return {
        "id": row.id,
        "threadId": row.conversation_id,
        "forId": row.for_id,
        "type": cast(Any, row.type),
        "name": row.name,
        "display": cast(Any, row.display),
        "url": element_url(row),
        "mime": row.mime,
        "language": row.language,
        "size": cast(Any, row.size),
        "page": row.page,
        "props": dict(row.props or {}),
    }


def thread_dict(
    conversation: Conversation,
    identifier: str | None,
    steps: list[StepDict],
    elements: list[ElementDict],
) -> ThreadDict:
    return {
        "id": conversation.id,
        "createdAt": iso(conversation.created_at),
        "name": conversation.name,
        "userId": conversation.customer_id,
        "userIdentifier": identifier,
        "tags": list(conversation.tags or []),
        "metadata": dict(conversation.metadata_ or {}),
        "steps": steps,
        "elements": elements,
    }
