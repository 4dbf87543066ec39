"""Chainlit's elements (the side panels with an answer's sources) on `Element` rows. Session
keyword-only; nothing here commits."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from app.db import conversations as repo
from app.db.models import Element, utc_now
from app.db.steps import NAME_MAX


def store_element(*, session: Session, fields: Mapping[str, Any], content: str | None) -> None:
    """Insert or replace the element described by `fields` (Chainlit's ElementDict keys), with
    its text body inline."""
    thread_id = fields.get("threadId")
    if thread_id:
        repo.ensure_conversation(session, conversation_id=thread_id)
    row = session.get(Element, fields["id"])
    if row is None:
        row = Element(id=fields["id"], created_at=utc_now())
        session.add(row)
    row.conversation_id = thread_id
    row.for_id = fields.get("forId")
    row.type = fields["type"]
    row.name = (fields.get("name") or "")[:NAME_MAX]
    row.display = fields.get("display") or "inline"
    row.content = content
    row.url = fields.get("url")
    row.mime = fields.get("mime")
    row.language = fields.get("language")
    row.size = fields.get("size")
    row.page = fields.get("page")
    row.props = dict(fields.get("props") or {})


def element_in(*, session: Session, thread_id: str, element_id: str) -> Element | None:
    """The element, if it belongs to that conversation."""
    row = session.get(Element, element_id)
    if row is None or row.conversation_id != thread_id:
        return None
    return row


def delete_element(*, session: Session, element_id: str, thread_id: str | None) -> None:
    """Delete it if it exists (and, with `thread_id`, belongs to that conversation)."""
    row = session.get(Element, element_id)
    if row is not None and (thread_id is None or row.conversation_id == thread_id):
        session.delete(row)
