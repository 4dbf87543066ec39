"""One message of a conversation's transcript as the brief and its summary read it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BriefTurn:
    """One message of the transcript as the brief needs it."""

    role: str  # customer | assistant | agent | system
    text: str
    triage: dict[str, Any] | None = None  # Triage.to_json() for customer turns
    topic: str | None = None  # the reserved topic the turn raised (app/pipeline/policy.py)
    sources: tuple[str, ...] = ()  # the titles the bot cited
    kind: str | None = None  # the bot's answer kind (answer, abstain, ...)
