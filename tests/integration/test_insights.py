"""Supervisors' insights (/console/insights): who may open them, the deflection figures and the
escalation reasons for seeded conversations, unanswered questions grouped by meaning with the
real MiniLM model, and customer text kept inert. Conversations are stored the way the chat
stores them (Chainlit's data layer, app.chat.data_layer) and escalated by the real Handoff, on
SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import re
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any, cast

import pytest
from chainlit.step import StepDict
from chainlit.types import Feedback
from chainlit.user import User
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from app.chat.data_layer import SupportDataLayer, iso
from app.chat.identity import COOKIE_NAME, chat_secret, new_customer_cookie
from app.db.models import Conversation, Escalation, utc_now
from app.ground.config import Settings
from app.ground.embedding import SentenceTransformerEmbedder
from tests.integration.conftest import fresh_postgres_database
from tests.integration.console_client import (
    console_app,
    create_agent,
    engine_of,
    escalate,
    login,
)

PASSWORD = "correct horse battery"
HOSTILE = "<img src=x onerror=alert(1)> <script>alert('x')</script> why no answer?"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, sqlite_url: str) -> Iterator[str]:
    if request.param == "postgres":
        with fresh_postgres_database() as url:
            yield url
    else:
        yield sqlite_url


def built(settings: Settings, url: str, embedder: SentenceTransformerEmbedder | None) -> FastAPI:
    app = console_app(settings, url)
    if embedder is not None:
        app.state.embedder = embedder  # what the real lifespan puts there
    return app


@pytest.fixture
def app(
    settings: Settings, sqlite_url: str, embedder: SentenceTransformerEmbedder
) -> Iterator[FastAPI]:
    made = built(settings, sqlite_url, embedder)
    yield made
    engine_of(made).dispose()


@pytest.fixture
def any_app(
    settings: Settings, db_url: str, embedder: SentenceTransformerEmbedder
) -> Iterator[FastAPI]:
    made = built(settings, db_url, embedder)
    yield made
    engine_of(made).dispose()


def signed_in(app: FastAPI, username: str, role: str) -> TestClient:
    create_agent(engine_of(app), username, PASSWORD, role=role)
    client = TestClient(app, follow_redirects=False)
    login(client, username, PASSWORD)
    return client


def step(
    step_id: str, thread_id: str, kind: str, output: str, at: datetime, **extra: Any
) -> StepDict:
    """A step as Chainlit's `Message.to_dict()` sends it to the data layer."""
    moment = iso(at)
    data: dict[str, Any] = {
        "id": step_id, "threadId": thread_id, "parentId": None, "createdAt": moment,
        "start": moment, "end": moment, "output": output, "type": kind,
        "name": "Customer" if kind == "user_message" else "Support assistant",
        "streaming": False, "isError": False, "metadata": {}, "tags": None,
    }  # fmt: skip
    data.update(extra)
    return cast(StepDict, data)


def chat(
    app: FastAPI,
    question: str | None,
    *,
    kind: str = "answer",
    thumbs_down: bool = False,
    reason: str | None = None,
    at: datetime | None = None,
    customer: str | None = None,
) -> str:
    """One conversation stored as the chat stores it: the customer's question (None: only a
    bot greeting), the bot's reply with its answer kind, maybe a thumbs down and an escalation.
    `at` backdates it (the conversation, its messages and its escalation); `customer` is a
    new one unless given."""
    engine = engine_of(app)
    customer = customer or f"customer:{uuid.uuid4().hex}"
    layer = SupportDataLayer(engine, requester=lambda: customer)  # the customer votes
    thread_id, answer_id = str(uuid.uuid4()), str(uuid.uuid4())
    moment = at or utc_now()

    async def store() -> None:
        user = await layer.create_user(User(identifier=customer))
        assert user is not None
        if question is not None:
            await layer.create_step(
                step(str(uuid.uuid4()), thread_id, "user_message", question, moment)
            )
        reply = "I'm sorry, I couldn't find an answer." if kind == "abstain" else "Try this [1]."
        await layer.create_step(
            step(
                answer_id, thread_id, "assistant_message", reply,
                moment + timedelta(milliseconds=5), metadata={"answer_kind": kind},
            )
        )  # fmt: skip
        await layer.update_thread(thread_id, name=question, user_id=user.id)
        if thumbs_down:
            await layer.upsert_feedback(Feedback(forId=answer_id, value=0, threadId=thread_id))

    asyncio.run(store())
    if reason is not None:
        escalate(app, thread_id, reason)
    if at is not None:
        with Session(engine) as session, session.begin():
            session.execute(
                update(Conversation).where(Conversation.id == thread_id).values(created_at=at)
            )
            session.execute(
                update(Escalation)
                .where(Escalation.conversation_id == thread_id)
                .values(created_at=at, queued_at=at)
            )
    return thread_id


def groups_of(page: str) -> list[str]:
    """The HTML of each question group, largest first."""
    listing = re.search(r'<ol id="question-groups">(.*?)</ol>', page, re.S)
    assert listing, "no question groups on the page"
    return listing.group(1).split('<li class="question-group"')[1:]


def svg(page: str, chart_id: str) -> ET.Element:
    """The chart, parsed as XML: it must be well-formed to render at all."""
    match = re.search(rf'<svg id="{chart_id}".*?</svg>', page, re.S)
    assert match, f"no {chart_id}"
    return ET.fromstring(match.group(0))


# --- who may open them ----------------------------------------------------------------------


def test_insights_are_for_supervisors_and_admins(app: FastAPI, settings: Settings) -> None:
    anonymous = TestClient(app, follow_redirects=False)
    customer = TestClient(app, follow_redirects=False)
    customer.cookies.set(COOKIE_NAME, new_customer_cookie(chat_secret(settings)))
    for client in (anonymous, customer):
        page = client.get("/console/insights?days=7")
        assert page.status_code == 303
        assert page.headers["location"] == "/console/login?next=/console/insights%3Fdays%3D7"
        assert client.get("/console/api/insights").status_code == 401

    agent = signed_in(app, "alice", "agent")
    assert agent.get("/console/insights").status_code == 403
    assert agent.get("/console/api/insights").status_code == 403
    assert 'id="nav-insights"' not in agent.get("/console").text

    for username, role in (("sam", "supervisor"), ("ada", "admin")):
        client = signed_in(app, username, role)
        assert 'id="nav-insights" href="/console/insights"' in client.get("/console").text
        page = client.get("/console/insights")
        assert page.status_code == 200 and 'data-page="insights"' in page.text
        assert "script-src 'nonce-" in page.headers["content-security-policy"]
        assert 'aria-current="page">30 days' in page.text  # the default period
        assert client.get("/console/api/insights?days=90").json()["days"] == 90
        for bad in ("14", "abc", "-7", "7.0"):
            refused = client.get(f"/console/insights?days={bad}")
            assert refused.status_code == 400 and "7, 30, 90 days" in refused.text, bad
            api = client.get(f"/console/api/insights?days={bad}")
            assert api.status_code == 400 and api.json()["error"] == "bad_period", bad


# --- the figures ----------------------------------------------------------------------------


def test_deflection_reasons_and_question_groups(any_app: FastAPI) -> None:
    app = any_app
    now = utc_now()
    yesterday, long_ago = now - timedelta(days=1), now - timedelta(days=40)
    # Today: five conversations in which a customer wrote, two of them escalated (and two more
    # below).
    chat(app, "How do I reset my AP-1?")
    chat(app, "Do you ship to Canada?", kind="abstain")
    chat(app, "Can I get my order delivered to Canada?", kind="abstain", reason="asked_for_human")
    chat(app, "What is the warranty period on the SW-8 switch?", thumbs_down=True)
    chat(app, "This is useless, I want my money back", reason="complaint")
    chat(app, None)  # a greeting nobody answered: not a conversation with a customer
    # Answered, but the same customer came back unhappy within the day: not deflected.
    returning = f"customer:{uuid.uuid4().hex}"
    chat(app, "How do I update the AP-1 firmware?", customer=returning)
    chat(app, "The update bricked my AP-1, get me a person", customer=returning,
         reason="asked_for_human")  # fmt: skip
    # Yesterday: two, one escalated. Forty days ago: one, escalated.
    chat(app, "Is there a student discount?", kind="abstain", at=yesterday)
    chat(app, "I need a refund for order 1234", reason="policy_topic", at=yesterday)
    chat(app, "Is shipping to Canada available?", kind="abstain", reason="repeated_failure",
         at=long_ago)  # fmt: skip

    supervisor = signed_in(app, "sam", "supervisor")
    page = supervisor.get("/console/insights?days=30").text
    assert "style=" not in page  # the CSP forbids style attributes: charts use classes
    rate = re.search(r'id="deflection-rate" class="headline" data-rate="([\d.]+)">(\d+)%', page)
    # Only the reset question was answered with nothing going wrong after: 1 of 9.
    assert rate and rate.groups() == ("0.1111", "11")
    assert '<span id="conversation-count">9</span>' in page
    assert '<span id="deflected-count">1</span>' in page
    today, before = now.date().isoformat(), yesterday.date().isoformat()
    assert (
        f'data-day="{today}" data-conversations="7" data-escalated="3" data-deflected="1"' in page
    )
    assert (
        f'data-day="{before}" data-conversations="2" data-escalated="1" data-deflected="0"' in page
    )
    assert len(re.findall(r'class="deflection-day"', page)) == 30

    chart = svg(page, "deflection-chart")
    ns = "{http://www.w3.org/2000/svg}"
    assert chart.get("role") == "img" and chart.findtext(f"{ns}title") == "Deflection rate per day"
    bars = {r.get("data-key"): r for r in chart.iter(f"{ns}rect") if r.get("class") == "chart-bar"}
    assert set(bars) == {today, before}  # the other 28 days have no conversations
    assert bars[today].findtext(f"{ns}title") == (
        f"{today}: 14% deflected (1 of 7 conversations resolved by the bot alone)"
    )
    assert len([r for r in chart.iter(f"{ns}rect") if r.get("class") == "chart-none"]) == 28
    assert [t.text for t in chart.iter(f"{ns}text")][:5] == ["0%", "25%", "50%", "75%", "100%"]

    counts = dict(re.findall(r'data-reason="(\w+)" data-count="(\d+)"', page))
    assert counts == {
        "asked_for_human": "2", "complaint": "1", "policy_topic": "1",
        "repeated_problem": "0", "repeated_failure": "0",
    }  # fmt: skip
    reasons = svg(page, "escalation-chart")
    keys = [r.get("data-key") for r in reasons.iter(f"{ns}rect")]
    assert keys == list(counts)

    # Unanswered: the two Canada questions are one group, the others their own.
    groups = groups_of(page)
    assert '<span id="question-count">4</span>' in page and len(groups) == 3
    assert 'data-size="2"' in groups[0]
    assert "ship to Canada" in groups[0] and "delivered to Canada" in groups[0]
    others = groups[1] + groups[2]
    assert "student discount" in others and "warranty period" in others
    assert not any("student discount" in g and "warranty" in g for g in groups)
    assert "thumbs down 1" in others and "abstained 2" in groups[0]

    # Ninety days take in the older conversation, its escalation and its question.
    report = supervisor.get("/console/api/insights?days=90").json()
    assert report["conversations"] == 10 and report["escalated"] == 5
    assert report["deflected"] == 1
    assert report["escalations_by_reason"]["repeated_failure"] == 1
    assert len(report["daily"]) == 90 and report["daily"][-1]["day"] == today
    first = report["unanswered"]["groups"][0]
    assert report["unanswered"]["grouped_by"] == "meaning"
    assert first["size"] == 3 and first["conversations"] == 3 and first["abstained"] == 3
    wordings = {first["representative"]["text"], *(e["text"] for e in first["examples"])}
    assert wordings == {
        "Do you ship to Canada?",
        "Can I get my order delivered to Canada?",
        "Is shipping to Canada available?",
    }
    seven = supervisor.get("/console/api/insights?days=7").json()
    assert seven["conversations"] == 9 and len(seven["daily"]) == 7


def test_questions_stay_inert(app: FastAPI) -> None:
    chat(app, HOSTILE, kind="abstain")
    chat(app, "**bold** [a](javascript:alert(1))", kind="abstain")
    supervisor = signed_in(app, "sam", "supervisor")
    page = supervisor.get("/console/insights").text
    assert "<img" not in page and "<script>alert" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<strong>" not in page and 'href="javascript' not in page
    api = supervisor.get("/console/api/insights")
    assert "<img" not in api.text and "\\u003cimg src=x onerror=alert(1)\\u003e" in api.text
    texts = [g["representative"]["text"] for g in api.json()["unanswered"]["groups"]]
    assert HOSTILE in texts  # escaped on the wire, exact once parsed


def test_without_an_embedder_questions_group_by_wording(
    settings: Settings, sqlite_url: str
) -> None:
    app = built(settings, sqlite_url, None)
    chat(app, "Do you ship to Canada?", kind="abstain")
    chat(app, "do you  ship to canada?", kind="abstain")
    chat(app, "Can I get my order delivered to Canada?", kind="abstain")
    page = signed_in(app, "sam", "supervisor").get("/console/insights").text
    assert 'id="grouping-notice"' in page
    groups = groups_of(page)
    assert len(groups) == 2 and 'data-size="2"' in groups[0]
    assert "delivered" in groups[1]
    engine_of(app).dispose()


def test_an_empty_period(app: FastAPI) -> None:
    page = signed_in(app, "sam", "supervisor").get("/console/insights?days=7").text
    assert 'id="question-groups-empty"' in page and 'id="deflection-rate"' in page
    assert '<b id="deflection-rate" class="headline">—</b>' in page
    assert len(svg(page, "deflection-chart")) > 0 and len(svg(page, "escalation-chart")) > 0
