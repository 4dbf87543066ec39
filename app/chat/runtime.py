"""What the Chainlit callbacks share with the rest of the app.

Chainlit loads its target file as a separate module, so the objects the web app builds at
startup (the conversation service, the database engine and the chat's write order) are
handed over through this module.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from app.conversation.service import ConversationService
from app.db.chat_writes import ChatWrites
from app.ground.config import Settings


@dataclass(frozen=True)
class Starter:
    label: str
    message: str


@dataclass
class ChatRuntime:
    settings: Settings
    engine: Engine
    secret: str
    starters: list[Starter]
    conversation: ConversationService
    writes: ChatWrites  # shared by Chainlit's data layer and the conversation service


_current: ChatRuntime | None = None


def install(runtime: ChatRuntime) -> None:
    global _current
    _current = runtime


def current() -> ChatRuntime:
    if _current is None:
        raise RuntimeError("the chat runtime is not installed: start the app with create_app()")
    return _current


def load_starters(settings: Settings) -> list[Starter]:
    """Starter questions from the starters file; a missing or broken file gives none."""
    path = settings.starters_path
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        return []
    return [
        Starter(str(entry["label"])[:60], str(entry["message"])[:500])
        for entry in data.get("starter", [])
        if isinstance(entry, dict) and entry.get("label") and entry.get("message")
    ]
