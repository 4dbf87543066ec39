"""Satisfaction and service figures on a seeded database with known answers (PostgreSQL and
SQLite through the real migrations): surveys asked when agents resolve, ratings only on one's
own conversation, first-reply and resolution times, each agent's work, and the insights JSON
a supervisor reads."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from app.console.service_figures import gather_service
from app.db.chat_writes import ChatWrites
from app.db.models import CsatSurvey, Escalation, Message, utc_now
from app.ground.config import Settings
from app.handoff.notices import CSAT_QUESTION
from app.handoff.views import Actor
from tests.integration.console_client import console_app, engine_of
from tests.integration.test_handoff import agent, conversation, database, make_handoff
from tests.integration.test_insights import signed_in

__all__ = ["database"]


def survey_of(engine: Engine, conversation_id: str) -> str:
    """The id of the satisfaction question asked in the conversation (its message's id)."""
    with Session(engine) as session:
        notice = session.scalars(
            select(Message).where(
                Message.conversation_id == conversation_id, Message.role == "system"
            )
        ).all()
        asked = [m for m in notice if (m.metadata_ or {}).get(CSAT_QUESTION)]
        assert len(asked) == 1, [m.text for m in notice]
        assert "Rate your conversation with our team from 1 (poor) to 5 (great)" in asked[0].text
        return asked[0].id


def backdate_queueing(engine: Engine, conversation_id: str, minutes: int) -> None:
    with Session(engine) as session, session.begin():
        session.execute(
            update(Escalation)
            .where(Escalation.conversation_id == conversation_id)
            .values(queued_at=utc_now() - timedelta(minutes=minutes))
        )


def work_the_queue(engine: Engine) -> tuple[str, str, str, Actor, Actor]:
    """Three escalations: Ana resolves A (queued 10 min ago) and still works on C (20 min
    ago, two replies); Ben resolves B (30 min ago); one conversation is handed back to the
    bot (not resolved: no survey)."""
    handoff = make_handoff(engine)
    ana, ben = agent(engine, "Ana"), agent(engine, "Ben")
    a, b, c, d = (conversation(engine, f"Please get me a person, case {n}.") for n in "abcd")

    async def scenario() -> None:
        for cid in (a, b, c, d):
            await handoff.escalate(cid, "asked_for_human")
        for who, cid, replies in ((ana, a, 1), (ben, b, 1), (ana, c, 2), (ben, d, 0)):
            await handoff.claim(who, cid)
            for n in range(replies):
                await handoff.reply(who, cid, f"Reply {n} on {cid}", client_id=str(uuid.uuid4()))
        await handoff.resolve(ana, a)
        await handoff.resolve(ben, b)
        await handoff.return_to_bot(ben, d)

    asyncio.run(scenario())
    for cid, minutes in ((a, 10), (b, 30), (c, 20)):
        backdate_queueing(engine, cid, minutes)
    return a, b, c, ana, ben


def test_ratings_and_service_times_with_known_answers(database: tuple[str, Engine]) -> None:
    _, engine = database
    a, b, c, _, _ = work_the_queue(engine)
    writes = ChatWrites(engine)
    survey_a, survey_b = survey_of(engine, a), survey_of(engine, b)

    async def rate() -> None:
        # A survey can only be answered from its own conversation, with 1 to 5.
        assert not await writes.rate_conversation(b, survey_a, 1)
        assert not await writes.comment_on_rating(a, survey_a, "before rating")
        assert await writes.rate_conversation(a, survey_a, 4)
        assert await writes.rate_conversation(a, survey_a, 5)  # changed their mind
        assert await writes.comment_on_rating(a, survey_a, "Quick and kind.")
        assert await writes.rate_conversation(b, survey_b, 2)

    asyncio.run(rate())
    with Session(engine) as session:
        surveys = {s.conversation_id: s for s in session.scalars(select(CsatSurvey))}
        assert set(surveys) == {a, b}  # asked on resolution only, not on a hand-back
        assert (surveys[a].rating, surveys[a].comment) == (5, "Quick and kind.")
        figures = gather_service(session, since=utc_now() - timedelta(days=1))

    assert (figures.asked, figures.rated) == (2, 2)
    assert figures.csat_average == 3.5 and figures.csat_satisfied == 0.5
    assert figures.ratings == {1: 0, 2: 1, 3: 0, 4: 0, 5: 1}
    # First replies came 10, 20 and 30 minutes after queueing; A and B resolved at 10 and 30.
    assert figures.first_reply.count == 3 and figures.resolution.count == 2
    assert figures.first_reply.median is not None and figures.resolution.median is not None
    assert abs(figures.first_reply.median - 20 * 60) < 60
    assert abs(figures.resolution.median - 20 * 60) < 60
    agents = {f.name: f for f in figures.agents}
    assert (agents["Ana"].conversations, agents["Ana"].replies, agents["Ana"].resolved) == (
        2,
        3,
        1,
    )
    assert (agents["Ana"].rated, agents["Ana"].csat) == (1, 5.0)
    assert (agents["Ben"].conversations, agents["Ben"].resolved, agents["Ben"].csat) == (1, 1, 2.0)


def test_supervisors_read_the_service_figures(settings: Settings, sqlite_url: str) -> None:
    app: FastAPI = console_app(settings, sqlite_url)
    try:
        a, _, _, _, _ = work_the_queue(engine_of(app))
        asyncio.run(
            ChatWrites(engine_of(app)).rate_conversation(a, survey_of(engine_of(app), a), 4)
        )
        supervisor: TestClient = signed_in(app, "sam", "supervisor")
        service = supervisor.get("/console/api/insights?days=7").json()["service"]
        assert service["csat"] == {
            "asked": 2, "rated": 1, "average": 4.0, "satisfied_share": 1.0,
            "ratings": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 0},
        }  # fmt: skip
        assert service["first_reply_s"]["count"] == 3
        page = supervisor.get("/console/insights?days=7").text
        assert 'id="csat-average" class="headline" data-average="4.0000">4.0</b>' in page
        assert '<tr class="agent-figures" data-agent="Ana" data-resolved="1">' in page
        assert 'id="first-reply-time"' in page and "20 min" in page
    finally:
        engine_of(app).dispose()
