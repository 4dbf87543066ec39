"""What the customer is told when a person takes over or hands back: system messages.

The wording, and storing it in the conversation like any other message (pushed to the
customer by the same path as an agent's reply).
"""

from __future__ import annotations

import uuid

from sqlalchemy.orm import Session

from app.db import escalations as repo


def queued_text(expected_wait: str) -> str:
    return (
        "I've passed this conversation to our support team. A person will reply right here, "
        f"{expected_wait}. Everything you've written so far is with them, and anything you add "
        "now reaches them too. You can close this page: the reply will be here when you come "
        "back."
    )


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
        "ask me anything, or ask for a person at any time."
    )


def returned_text(agent: str, assistant: str) -> str:
    return (
        f"{agent} has handed this conversation back to me, the {assistant}. Ask me anything, "
        "or ask for a person at any time."
    )


def post_system_message(session: Session, conversation_id: str, author: str, text: str) -> str:
    """Store a system message written by `author` (the assistant); its id."""
    message_id = str(uuid.uuid4())
    repo.add_message(
        session, conversation_id=conversation_id, message_id=message_id, role="system",
        author=author, text=text,
    )  # fmt: skip
    return message_id
