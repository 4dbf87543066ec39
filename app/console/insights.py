"""What supervisors learn from the bot's work over a period (/console/insights): deflection per
day, escalations by reason, and the questions it could not answer, grouped by meaning into the
knowledge-base articles worth writing next.

`gather` reads the database (app.db.stats, app.db.unanswered) and groups questions
(app.console.grouping); it blocks (queries, and embedding the questions with the app's MiniLM
model), so the route runs it in a worker thread. The page is in insights_pages.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal, get_args

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from app.console.grouping import QuestionGroup, VectorCache, group_questions
from app.console.service_figures import ServiceFigures, gather_service
from app.db import stats
from app.db.models import utc_now
from app.db.unanswered import FailedQuestion, failed_questions
from app.ground.embedding import Embedder
from app.ground.errors import AppError
from app.pipeline.types import EscalationReason

PERIODS = (7, 30, 90)  # days; the page offers these
DEFAULT_PERIOD = 30
# The newest questions grouped on each request: enough to see what keeps coming back, few
# enough to embed in about a second on a CPU the first time (later, VectorCache has them).
MAX_QUESTIONS = 500
REASONS: tuple[str, ...] = get_args(EscalationReason)


@dataclass(frozen=True)
class DayOutcome:
    day: date
    conversations: int  # in which a customer wrote, started this UTC day
    escalated: int  # of them, handed to a person
    deflected: int  # of them, resolved by the bot alone (app/db/stats.py `deflected`)

    @property
    def deflection_rate(self) -> float | None:
        """Share of the day's conversations the bot resolved alone; None on a day without any."""
        if not self.conversations:
            return None
        return self.deflected / self.conversations


@dataclass(frozen=True)
class Insights:
    days: int
    since: datetime  # midnight UTC starting the period's first day
    outcomes: tuple[DayOutcome, ...]  # one per day of the period, oldest first
    reasons: dict[str, int]  # every known reason (0 included), then any other found
    groups: tuple[QuestionGroup, ...]
    questions: int  # failed questions considered (at most MAX_QUESTIONS)
    grouped_by: Literal["meaning", "wording"]
    service: ServiceFigures

    @property
    def conversations(self) -> int:
        return sum(o.conversations for o in self.outcomes)

    @property
    def escalated(self) -> int:
        return sum(o.escalated for o in self.outcomes)

    @property
    def deflected(self) -> int:
        return sum(o.deflected for o in self.outcomes)

    @property
    def deflection_rate(self) -> float | None:
        return self.deflected / self.conversations if self.conversations else None

    @property
    def escalations(self) -> int:
        return sum(self.reasons.values())

    def to_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "since": self.since.isoformat(),
            "conversations": self.conversations,
            "escalated": self.escalated,
            "deflected": self.deflected,
            "deflection_rate": self.deflection_rate,
            "daily": [
                {
                    "day": o.day.isoformat(),
                    "conversations": o.conversations,
                    "escalated": o.escalated,
                    "deflected": o.deflected,
                    "deflection_rate": o.deflection_rate,
                }
                for o in self.outcomes
            ],
            "escalations_by_reason": self.reasons,
            "service": self.service.to_json(),
            "unanswered": {
                "questions": self.questions,
                "grouped_by": self.grouped_by,
                "groups": [group_json(g) for g in self.groups],
            },
        }


def group_json(group: QuestionGroup) -> dict[str, Any]:
    return {
        "size": group.size,
        "conversations": group.conversations,
        "abstained": group.abstained,
        "thumbs_down": group.thumbs_down,
        "last_asked": group.last_asked.isoformat(),
        "representative": question_json(group.representative),
        "examples": [question_json(q) for q in group.examples()],
    }


def question_json(question: FailedQuestion) -> dict[str, Any]:
    return {
        "text": question.text,
        "conversation_id": question.conversation_id,
        "asked_at": question.asked_at.isoformat(),
    }


def period_days(value: str | None) -> int:
    """The period from the query string: one of PERIODS (the default when absent)."""
    if value is None or value == "":
        return DEFAULT_PERIOD
    if value.strip().isdigit() and int(value) in PERIODS:
        return int(value)
    choices = ", ".join(str(p) for p in PERIODS)
    raise AppError("bad_period", f"the period must be {choices} days")


def period_start(days: int, now: datetime) -> datetime:
    """Midnight UTC of the first of the `days` days that end today."""
    today = now.astimezone(UTC).date()
    return datetime.combine(today - timedelta(days=days - 1), time(), tzinfo=UTC)


def gather(
    engine: Engine,
    *,
    days: int,
    embedder: Embedder | None,
    cache: VectorCache,
    now: datetime | None = None,
) -> Insights:
    """Everything the insights page shows for the `days` days ending today (UTC). Blocking."""
    since = period_start(days, now or utc_now())
    with Session(engine) as session:
        daily = stats.daily_outcomes(session, since=since)
        found = stats.escalation_reasons(session, since=since)
        questions = failed_questions(session, since=since, limit=MAX_QUESTIONS)
        service = gather_service(session, since=since)
    outcomes = tuple(
        DayOutcome(day, *daily.get(day, (0, 0, 0)))
        for day in (since.date() + timedelta(days=n) for n in range(days))
    )
    reasons = {reason: found.pop(reason, 0) for reason in REASONS}
    reasons.update(sorted(found.items()))  # a reason this code does not know yet still counts
    vectors = cache.embed(embedder, [q.text for q in questions]) if embedder else None
    return Insights(
        days=days,
        since=since,
        outcomes=outcomes,
        reasons=reasons,
        groups=tuple(group_questions(questions, vectors)),
        questions=len(questions),
        grouped_by="meaning" if embedder else "wording",
        service=service,
    )
