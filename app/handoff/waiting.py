"""Where a queued customer stands: their place in the queue and how long people have lately
waited, measured from the escalations themselves (no figure typed into settings).

The place follows the console's order (app/handoff/service.py `Handoff.queue`): effective
priority first (waiting raises it), then the longest waiting. Agents may pick any row, so the
place is a fair guide, not a promise, and the customer is told it that way.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from statistics import median

from sqlalchemy.orm import Session

from app.db import agents as db_agents
from app.db import escalations as repo
from app.ground.hours import OpeningHours, describe_opening
from app.handoff.brief import effective_priority
from app.handoff.notices import closed_text, nobody_online_text, place_text

# How far back claimed conversations count towards the typical wait, and how many must have
# been claimed in that time before a figure is quoted (fewer is noise, not a figure).
WAIT_WINDOW = timedelta(days=7)
MIN_WAITS = 3
# An agent counts as online while their live console beat this recently (it beats every 15 s,
# app/console/events.py; a closed console is marked gone at once).
ONLINE_WINDOW = timedelta(seconds=60)


def queue_place(
    session: Session, conversation_id: str, now: datetime, aging_minutes: int
) -> int | None:
    """1 for the next conversation an agent would see at the top of the queue; None when the
    conversation is not waiting in the queue."""
    rows = repo.waiting_escalations(session)
    order = sorted(
        rows,
        key=lambda row: (effective_priority(row[1], row[2], now, aging_minutes), row[2], row[0]),
    )
    ids = [row[0] for row in order]
    return ids.index(conversation_id) + 1 if conversation_id in ids else None


def typical_wait(session: Session, now: datetime) -> timedelta | None:
    """The median wait of the conversations people claimed in the last week; None with too
    few of them to say."""
    waits = repo.waits_claimed_since(session, now - WAIT_WINDOW)
    if len(waits) < MIN_WAITS:
        return None
    return timedelta(seconds=median(waits))


def wait_words(wait: timedelta) -> str:
    """'about 4 minutes', 'under a minute', 'about 2 hours'."""
    minutes = round(wait.total_seconds() / 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 90:
        return f"about {minutes} minute{'s' if minutes != 1 else ''}"
    hours = round(minutes / 60)
    return f"about {hours} hours"


@dataclass(frozen=True)
class QueueRules:
    """What the waiting notices need from settings."""

    hours: OpeningHours
    expected_wait: str  # the operator's words when there is no measured wait yet
    aging_minutes: int


def where_you_stand(
    session: Session, conversation_id: str, now: datetime, rules: QueueRules
) -> str:
    """The sentence telling a queued customer where they stand: when people open next if
    they are closed now, that nobody is there if no agent has the console open, else their
    place in the queue and the measured wait."""
    if not rules.hours.is_open(now):
        opening = describe_opening(rules.hours.next_opening(now), now, rules.hours.zone)
        return closed_text(rules.hours.text, opening)
    if not db_agents.agents_online(session, since=now - ONLINE_WINDOW):
        return nobody_online_text()
    wait = typical_wait(session, now)
    return place_text(
        queue_place(session, conversation_id, now, rules.aging_minutes),
        wait_words(wait) if wait is not None else None,
        rules.expected_wait,
    )
