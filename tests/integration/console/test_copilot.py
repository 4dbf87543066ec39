"""The agent copilot (app.console.copilot, routers/copilot.py, routers/macros.py): a draft
reply from the real answer pipeline over a real small index, and saved replies with their
placeholders, their roles, CSRF and audit entries, on the real migrated database."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.console.copilot import NOTHING_FOUND
from app.console.routers.copilot import NO_PIPELINE
from app.db.models import AuditEntry, Conversation, Customer, Macro, Message, utc_now
from app.doors.assistant import build_pipeline, load_catalog
from app.index.store import open_reader
from app.pipeline.answering import AnswerPipeline
from tests.integration.conftest import Ingestor
from tests.integration.console_client import (
    client_for,
    engine_of,
    escalate,
    seed_conversation,
    signed_in,
)

RESET_QUESTION = "How long do I hold the reset button on my AP-1?"


def add_customer_turn(
    app: FastAPI, conversation_id: str, text: str, entities: list[dict[str, str]] | None = None
) -> None:
    """A later customer message (with the entities triage found in it)."""
    with Session(engine_of(app)) as session, session.begin():
        last = session.scalars(
            select(Message.created_at)
            .where(Message.conversation_id == conversation_id)
            .order_by(Message.created_at.desc())
        ).first()
        session.add(
            Message(
                id=str(uuid.uuid4()),
                conversation_id=conversation_id,
                role="customer",
                type="user_message",
                author="customer",
                text=text,
                created_at=(last or utc_now()) + timedelta(seconds=1),
                metadata_={
                    "triage": {
                        "sentiment_score": 0.0,
                        "sentiment_label": "neutral",
                        "intent": "other",
                        "entities": entities or [],
                    }
                },
            )
        )


def name_customer(app: FastAPI, conversation_id: str, name: str) -> None:
    with Session(engine_of(app)) as session, session.begin():
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        customer = session.get(Customer, conversation.customer_id)
        assert customer is not None
        customer.display_name = name


@pytest.fixture
def drafting_app(app: FastAPI, ingestor: Ingestor, corpus: Path) -> Iterator[FastAPI]:
    """The console with the chat's answer pipeline over the small corpus as its drafter."""
    report = ingestor.ingest(corpus)
    assert not report.failures
    reader = open_reader(ingestor.settings)
    try:
        pipeline: AnswerPipeline = build_pipeline(
            ingestor.settings,
            reader,
            ingestor.embedder,
            catalog=load_catalog(ingestor.settings, corpus),
        )
        app.state.drafter = pipeline
        yield app
    finally:
        reader.close()


@pytest.mark.slow
def test_draft_is_the_pipelines_cited_answer_to_the_latest_question(
    drafting_app: FastAPI,
) -> None:
    app = drafting_app
    engine = engine_of(app)
    # The customer asked about the reset, then asked for a person: nothing to look up in the
    # latest message, so the draft answers the question before it.
    asked = seed_conversation(engine, RESET_QUESTION)
    add_customer_turn(app, asked, "Can I talk to a person please?")
    escalate(app, asked)
    client, _ = signed_in(app, "alice")

    draft = client.get(f"/console/api/conversations/{asked}/draft").json()
    assert draft["found"] is True and draft["kind"] == "answer"
    assert draft["for_message"] == RESET_QUESTION
    assert "10 seconds" in draft["text"] and "[1]" in draft["text"]
    assert draft["citations"] and {c["source"] for c in draft["citations"]} == {"manuals/ap.md"}
    assert "Hold the recessed reset button" in draft["citations"][0]["snippet"]
    # The sources follow the text, so the markers still mean something to the customer.
    assert "\n\nSources:\n[1] AP-1 Guide › Reset › Factory reset" in draft["text"]

    fragment = client.get(f"/console/fragments/conversations/{asked}/draft")
    assert fragment.status_code == 200
    assert "script-src 'none'" in fragment.headers["content-security-policy"]
    html = fragment.text
    assert 'id="draft-result" data-found="true"' in html and 'id="draft-insert"' in html
    assert 'id="draft-text"' in html and "10 seconds" in html
    # Each cited passage is one click away: its section and its text under <details>.
    assert '<li class="citation" data-marker="1">' in html
    assert "<details><summary>passage</summary>" in html
    assert "Hold the recessed reset button for 10 seconds" in html

    # Nothing in the knowledge base: the copilot says so and offers nothing to insert.
    unknown = seed_conversation(engine, "What is the airspeed velocity of an unladen swallow?")
    draft = client.get(f"/console/api/conversations/{unknown}/draft").json()
    assert draft == {
        "found": False,
        "text": NOTHING_FOUND,
        "for_message": "What is the airspeed velocity of an unladen swallow?",
        "citations": [],
        "kind": "abstain",
    }
    html = client.get(f"/console/fragments/conversations/{unknown}/draft").text
    assert 'id="draft-none"' in html and "draft-insert" not in html

    missing = client.get("/console/api/conversations/no-such-id/draft")
    assert missing.status_code == 404
    assert client_for(app).get(f"/console/api/conversations/{asked}/draft").status_code == 401


def test_without_a_pipeline_the_copilot_says_it_cannot_draft(app: FastAPI) -> None:
    conversation_id = seed_conversation(engine_of(app), RESET_QUESTION)
    client, _ = signed_in(app, "alice")
    draft = client.get(f"/console/api/conversations/{conversation_id}/draft").json()
    assert draft["found"] is False and draft["text"] == NO_PIPELINE


def test_only_supervisors_manage_saved_replies_with_csrf_and_audit(app: FastAPI) -> None:
    agent, agent_csrf = signed_in(app, "alice", "agent")
    boss, csrf = signed_in(app, "sam", "supervisor")
    form = {"title": "Greeting", "text": "Hello {customer_name}!"}

    # Agents may not see or change the list.
    assert agent.get("/console/macros", follow_redirects=False).status_code == 403
    assert agent.post("/console/macros", data={**form, "csrf_token": agent_csrf}).status_code == 403
    assert 'id="nav-macros"' not in agent.get("/console").text
    assert 'id="nav-macros"' in boss.get("/console").text
    # A supervisor's POST needs the session's token.
    for token in ("", "wrong", agent_csrf):
        assert boss.post("/console/macros", data={**form, "csrf_token": token}).status_code == 403
    assert macros(app) == []

    created = boss.post("/console/macros", data={**form, "csrf_token": csrf})
    assert created.status_code == 303 and created.headers["location"] == "/console/macros"
    [(macro_id, title, text)] = macros(app)
    assert (title, text) == ("Greeting", "Hello {customer_name}!")
    page = boss.get("/console/macros").text
    assert f'data-macro-id="{macro_id}" data-title="Greeting"' in page

    # Refusals name what was wrong and change nothing.
    again = boss.post(
        "/console/macros", data={**form, "csrf_token": csrf}, headers={"Accept": "text/html"}
    )
    assert again.status_code == 400 and 'id="macros-error"' in again.text
    assert "already a saved reply titled" in again.text
    empty = boss.post(
        "/console/macros",
        data={"title": "Empty", "text": "  ", "csrf_token": csrf},
        headers={"Accept": "application/json"},
    )
    assert empty.status_code == 400 and empty.json()["message"] == "a saved reply needs a text"
    assert len(macros(app)) == 1

    edited = boss.post(
        f"/console/macros/{macro_id}",
        data={"title": "Welcome", "text": "Hi {customer_name}, {agent_name} here.",
              "csrf_token": csrf},
    )  # fmt: skip
    assert edited.status_code == 303
    assert macros(app) == [(macro_id, "Welcome", "Hi {customer_name}, {agent_name} here.")]
    assert agent.post(
        f"/console/macros/{macro_id}/delete", data={"csrf_token": agent_csrf}
    ).status_code == 403  # fmt: skip
    assert boss.post(f"/console/macros/{macro_id}/delete", data={}).status_code == 403
    deleted = boss.post(f"/console/macros/{macro_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 303 and macros(app) == []
    gone = boss.post(
        f"/console/macros/{macro_id}/delete",
        data={"csrf_token": csrf},
        headers={"Accept": "application/json"},
    )
    assert gone.status_code == 404

    with Session(engine_of(app)) as session:
        logged = [
            (entry.action, entry.detail["title"])
            for entry in session.scalars(
                select(AuditEntry).where(AuditEntry.action.like("macro_%")).order_by(AuditEntry.id)
            )
        ]
    assert logged == [
        ("macro_created", "Greeting"),
        ("macro_updated", "Welcome"),
        ("macro_deleted", "Welcome"),
    ]


def test_saved_replies_are_filled_for_the_conversation_and_escaped(app: FastAPI) -> None:
    engine = engine_of(app)
    boss, csrf = signed_in(app, "sam", "supervisor")
    text = (
        "Hi {customer_name}, your order {order_number} is on its way. {agent_name} "
        "{tracking_link} <b>bold</b> {"
    )
    boss.post("/console/macros", data={"title": "Shipped", "text": text, "csrf_token": csrf})
    [(macro_id, _, _)] = macros(app)

    named = seed_conversation(engine, "Where is my parcel?")
    add_customer_turn(
        app, named, "It is order 55123", [{"kind": "order", "text": "55123", "value": "55123"}]
    )
    name_customer(app, named, "Dana")
    escalate(app, named)
    anonymous = seed_conversation(engine, "Where is my parcel?")
    escalate(app, anonymous)

    agent, agent_csrf = signed_in(app, "alice", "agent")
    url = f"/console/conversations/{named}"
    # Before the agent owns it, there is no reply box, so no copilot either.
    assert 'id="copilot"' not in agent.get(url).text
    agent.post(f"{url}/claim", data={"csrf_token": agent_csrf})
    page = agent.get(url).text
    assert 'id="copilot"' in page and 'id="draft-request"' in page
    assert f'<option value="{macro_id}">Shipped</option>' in page
    # Known placeholders filled; an unknown one left for the agent to fix; markup escaped.
    assert (
        f'<div class="macro-text" data-macro-id="{macro_id}">Hi Dana, your order 55123 is on '
        "its way. Alice {tracking_link} &lt;b&gt;bold&lt;/b&gt; {</div>"
    ) in page

    agent.post(f"/console/conversations/{anonymous}/claim", data={"csrf_token": agent_csrf})
    page = agent.get(f"/console/conversations/{anonymous}").text
    # No name: "there"; no order number in the brief: the placeholder stays visible.
    assert "Hi there, your order {order_number} is on its way. Alice" in page


def macros(app: FastAPI) -> list[tuple[str, str, str]]:
    with Session(engine_of(app)) as session:
        return [(m.id, m.title, m.text) for m in session.scalars(select(Macro))]
