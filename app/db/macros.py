"""Saved replies (macros): the list agents pick from, and the changes supervisors make.

Plain functions: the session comes first, the rest keyword-only, and none of them commits:
the caller owns the transaction (and writes the audit entry in it).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Macro, utc_now
from app.ground.errors import AppError

MAX_TITLE_CHARS = 120


def list_macros(session: Session) -> list[Macro]:
    """Every macro, by title."""
    return list(session.scalars(select(Macro).order_by(Macro.title)))


def macro_by_id(session: Session, *, macro_id: str) -> Macro:
    """The macro, or AppError not_found."""
    macro = session.get(Macro, macro_id)
    if macro is None:
        raise AppError("not_found", f"no saved reply with id {macro_id!r}")
    return macro


def _checked(session: Session, title: str, text: str, max_chars: int, own_id: str | None) -> str:
    """The title, stripped, once title and text are acceptable; AppError naming what is not."""
    title = title.strip()
    if not title:
        raise AppError("bad_macro", "a saved reply needs a title")
    if len(title) > MAX_TITLE_CHARS:
        raise AppError("bad_macro", f"a title may have at most {MAX_TITLE_CHARS} characters")
    if not text.strip():
        raise AppError("bad_macro", "a saved reply needs a text")
    if len(text) > max_chars:
        raise AppError("too_long", f"a saved reply may have at most {max_chars:,} characters")
    taken = session.scalar(select(Macro.id).where(Macro.title == title))
    if taken is not None and taken != own_id:
        raise AppError("duplicate_macro", f"there is already a saved reply titled {title!r}")
    return title


def create_macro(
    session: Session, *, title: str, text: str, agent_id: str, max_chars: int
) -> Macro:
    """Add a macro; flushes so its id is known."""
    macro = Macro(
        title=_checked(session, title, text, max_chars, None), text=text, updated_by=agent_id
    )
    session.add(macro)
    session.flush()
    return macro


def update_macro(
    session: Session, *, macro_id: str, title: str, text: str, agent_id: str, max_chars: int
) -> Macro:
    macro = macro_by_id(session, macro_id=macro_id)
    macro.title = _checked(session, title, text, max_chars, macro.id)
    macro.text = text
    macro.updated_by = agent_id
    macro.updated_at = utc_now()
    return macro


def delete_macro(session: Session, *, macro_id: str) -> str:
    """Remove a macro; returns its title (for the audit log)."""
    macro = macro_by_id(session, macro_id=macro_id)
    title = macro.title
    session.delete(macro)
    return title
