"""Satisfaction surveys: asked when an agent resolves a conversation, answered in the chat.
Session first (keyword-only after it), nothing here commits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Agent, CsatSurvey, utc_now


def ask(
    session: Session, *, survey_id: str, conversation_id: str, agent_id: str | None
) -> CsatSurvey:
    """Record that the question `survey_id` (the asking message's id) was put to the customer
    of `conversation_id` after `agent_id` resolved it."""
    survey = CsatSurvey(
        id=survey_id, conversation_id=conversation_id, agent_id=agent_id, asked_at=utc_now()
    )
    session.add(survey)
    return survey


def rate(session: Session, *, survey_id: str, conversation_id: str, rating: int) -> bool:
    """Keep the customer's rating (1-5) of the survey asked in their own conversation; a
    second click changes it. False when there is no such survey in that conversation (a
    forged or stale id): nothing is stored."""
    survey = _own(session, survey_id, conversation_id)
    if survey is None or not 1 <= rating <= 5:
        return False
    survey.rating, survey.rated_at = rating, utc_now()
    return True


def comment(session: Session, *, survey_id: str, conversation_id: str, text: str) -> bool:
    """Keep the customer's comment on a survey they rated; False as for `rate`."""
    survey = _own(session, survey_id, conversation_id)
    if survey is None or survey.rating is None:
        return False
    survey.comment = text
    return True


def rated_since(session: Session, *, since: datetime) -> list[tuple[int, str | None]]:
    """(rating, the resolving agent's name) of every survey answered at or after `since`."""
    query = (
        select(CsatSurvey.rating, Agent.display_name)
        .outerjoin(Agent, Agent.id == CsatSurvey.agent_id)
        .where(CsatSurvey.rated_at >= since, CsatSurvey.rating.is_not(None))
    )
    return [(rating, name) for rating, name in session.execute(query) if rating is not None]


def asked_since(session: Session, *, since: datetime) -> int:
    query = select(func.count(CsatSurvey.id)).where(CsatSurvey.asked_at >= since)
    return int(session.scalar(query) or 0)


def _own(session: Session, survey_id: str, conversation_id: str) -> CsatSurvey | None:
    survey = session.get(CsatSurvey, survey_id)
    return survey if survey is not None and survey.conversation_id == conversation_id else None
