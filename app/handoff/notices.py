"""What the customer is told when a person takes over or hands back: system messages.

The wording, and storing it in the conversation like any other message (pushed to the
customer by the same path as an agent's reply).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.db import escalations as repo


def queued_text(where: str) -> str:
    """Said once, when the conversation joins the queue; `where` is `place_text` or
    `closed_text`."""
    return (
        f"I've passed this conversation to our support team. {where} Everything you've written "
        "so far is with them, and anything you add now reaches them too. You can close this "
        "page: the reply will be here when you come back."
    )


def place_text(place: int | None, wait: str | None, expected_wait: str) -> str:
    """Where the customer stands: their place in the queue and, when enough conversations
    were claimed lately to say, how long people have been waiting (`wait`, 'about 4
    minutes'); else the operator's own words (`expected_wait`)."""
    if place is None:
        return f"A person will reply right here, {expected_wait}."
    ahead = "You're next in the queue" if place == 1 else f"You're number {place} in the queue"
    if wait is None:
        return f"{ahead}; a person will reply right here, {expected_wait}."
    return f"{ahead}; lately people have waited {wait} for a reply."


def closed_text(hours: str, opening: str) -> str:
    """Outside opening hours: nobody will answer now, so say when, and ask for a way to
    reach the customer if they would rather not come back to the chat."""
    return (
        f"Our support team is away right now (we're open {hours}) and will pick this up when "
        f"they open, {opening}. Leave your question here with an e-mail address or phone "
        "number if you'd like an answer there too."
    )


def nobody_online_text() -> str:
    """Inside opening hours, but no agent has the console open: say so rather than quote a
    place in a queue nobody is working."""
    return (
        "Nobody from our support team is online right now, so this may take a while: a person "
        "will reply right here when they're back. Leave an e-mail address or phone number if "
        "you'd like an answer there too."
    )


def added_text(where: str) -> str:
    """Acknowledges each message the customer adds while waiting, so it never looks unread."""
    return f"Thanks, that's added to your request for our support team. {where}"


def limited_text() -> str:
    return (
        "Our support team already has your earlier request, and a person will reply right "
        "here as soon as they can: there's no need to ask again. Meanwhile I'm happy to help "
        "with anything else."
    )


def joined_text(agent: str) -> str:
    return f"{agent} from our support team has joined the conversation."


def resolved_text(agent: str, assistant: str) -> str:
    return (
        f"{agent} has marked this conversation as resolved. You're back with the {assistant}: "
        "ask me anything, or ask for a person at any time. How did we do? Rate your "
        "conversation with our team from 1 (poor) to 5 (great)."
    )


# The resolved notice's metadata marks it as the satisfaction question: the chat shows the
# rating buttons under it (app/chat/push.py), and its id is the survey's (app/db/csat.py).
CSAT_QUESTION = "csat_question"


def returned_text(agent: str, assistant: str) -> str:
    return (
        f"{agent} has handed this conversation back to me, the {assistant}. Ask me anything, "
        "or ask for a person at any time."
    )


def post_system_message(
    session: Session,
    conversation_id: str,
    author: str,
    text: str,
    metadata: dict[str, Any] | None = None,
) -> str:
    """Store a system message written by `author` (the assistant); its id."""
    message_id = str(uuid.uuid4())
    repo.add_message(
        session, conversation_id=conversation_id, message_id=message_id, role="system",
        author=author, text=text, metadata=metadata,
    )  # fmt: skip
    return message_id
