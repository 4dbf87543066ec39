"""Who the customer is, in the console: the queue row and the conversation's brief show the
name and e-mail address (escaped) instead of the chat's identifier, and the conversation
lists the customer's earlier conversations; a customer with nothing known keeps showing the
identifier. Seeded straight in the database (the chat's side is tests/integration/
test_customer_identity.py)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.db.models import Conversation, Customer, utc_now
from tests.integration.console_client import engine_of, escalate, seed_conversation, signed_in

IDENTIFIER = "site:0123456789abcdef0123456789abcdef01234567"


def _give_profile(app: FastAPI, identifier: str, **columns: str) -> None:
    with Session(engine_of(app)) as session, session.begin():
        session.execute(update(Customer).where(Customer.identifier == identifier).values(**columns))


def _share_customer(app: FastAPI, conversation_id: str, identifier: str, days_ago: int) -> None:
    """Move a seeded conversation to the customer with `identifier`, started days ago."""
    with Session(engine_of(app)) as session, session.begin():
        owner = session.scalars(select(Customer).where(Customer.identifier == identifier)).one()
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.customer_id = owner.id
        conversation.created_at = utc_now() - timedelta(days=days_ago)


def test_agents_see_the_customer_and_their_earlier_conversations(app: FastAPI) -> None:
    engine = engine_of(app)
    current = seed_conversation(engine, "The AP-2 drops Wi-Fi at night", customer=IDENTIFIER)
    older = seed_conversation(engine, "How do I reset my AP-1? <b>urgent</b>")
    oldest = seed_conversation(engine, "Where is my invoice?")
    _share_customer(app, older, IDENTIFIER, days_ago=3)
    _share_customer(app, oldest, IDENTIFIER, days_ago=40)
    _give_profile(
        app,
        IDENTIFIER,
        contact_name="Zoë O'Brien & <Co>",
        contact_email="zoe@example.com",
        site_customer_id="cust-4711",
        profile_source="site",
    )
    escalate(app, current, "asked_for_human")
    escalate(app, older, "complaint")
    client, _csrf = signed_in(app, "alice", "agent")

    queue = client.get("/console").text
    assert "Zoë O&#x27;Brien &amp; &lt;Co&gt;" in queue  # escaped, never markup
    assert "&lt;zoe@example.com&gt;" in queue
    assert IDENTIFIER not in queue
    items = {i["conversation_id"]: i for i in client.get("/console/api/queue").json()["items"]}
    assert items[current]["customer_name"] == "Zoë O'Brien & <Co>"
    assert items[current]["customer_email"] == "zoe@example.com"

    page = client.get(f"/console/conversations/{current}").text
    assert 'class="customer-name">Zoë O&#x27;Brien &amp; &lt;Co&gt;</span>' in page
    assert 'class="customer-email">&lt;zoe@example.com&gt;</span>' in page
    assert "verified by its signed token" in page
    assert 'id="site-customer-id">cust-4711<' in page
    start = page.index('id="earlier-conversations"')
    earlier = page[start : page.index("</ul>", start)]
    # Newest first, each with its first question (escaped), its state and a link.
    assert earlier.index(older) < earlier.index(oldest)
    assert f'href="/console/conversations/{older}"' in earlier
    assert "How do I reset my AP-1? &lt;b&gt;urgent&lt;/b&gt;" in earlier
    assert 'data-state="queued"' in earlier and 'data-state="bot"' in earlier
    assert "Where is my invoice?" in earlier
    assert current not in earlier  # not itself

    view = client.get(f"/console/api/conversations/{current}").json()
    assert view["profile"]["email"] == "zoe@example.com"
    assert [e["conversation_id"] for e in view["earlier"]] == [older, oldest]


def test_a_customer_nobody_knows_shows_the_chat_identifier(app: FastAPI) -> None:
    conversation = seed_conversation(engine_of(app), customer="customer:0655e15c77")
    escalate(app, conversation, "asked_for_human")
    client, _csrf = signed_in(app, "alice", "agent")
    assert 'class="customer-id">customer:0655e15c77<' in client.get("/console").text
    page = client.get(f"/console/conversations/{conversation}").text
    assert 'class="customer-id">customer:0655e15c77<' in page
    assert 'id="earlier-none"' in page and "customer-source" not in page
