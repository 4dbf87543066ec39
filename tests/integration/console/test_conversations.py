"""Working a conversation (app.console.routers.conversations): claim, reply, note, resolve,
and the refusals, on SQLite and PostgreSQL."""

from __future__ import annotations

import re
import uuid

from fastapi import FastAPI
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Message, Note
from tests.integration.console_client import (
    engine_of,
    escalate,
    escalation_state,
    seed_conversation,
    signed_in,
)


def test_claim_reply_note_resolve(any_app: FastAPI) -> None:
    app = any_app
    conversation_id = seed_conversation(engine_of(app))
    escalate(app, conversation_id, "complaint")
    client, csrf = signed_in(app, "alice", "agent")
    rival, rival_csrf = signed_in(app, "bob", "agent")
    url = f"/console/conversations/{conversation_id}"

    queue = client.get("/console")
    assert f'data-conversation-id="{conversation_id}"' in queue.text
    assert 'class="queue-item"' in queue.text and 'data-state="queued"' in queue.text
    items = client.get("/console/api/queue").json()["items"]
    assert [i["conversation_id"] for i in items] == [conversation_id]
    assert client.get("/console/api/queue", params={"state": "assigned"}).json()["items"] == []
    assert client.get("/console/api/queue", params={"reason": "other"}).json()["items"] == []
    assert len(client.get("/console/api/queue", params={"reason": "complaint"}).json()["items"])

    page = client.get(url).text
    assert 'id="state" data-state="queued"' in page
    assert 'value="claim"' in page and 'id="reply-hint"' in page and 'id="reply-text"' not in page
    assert 'class="citation" data-marker="1"' in page and "AP-1 Guide" in page
    assert 'class="message-sentiment sentiment" data-label="negative"' in page
    assert 'id="summary"' in page and 'class="entity" data-kind="product"' in page

    assert client.post(f"{url}/claim", data={"csrf_token": csrf}).status_code == 303
    # Someone else cannot take it, nor reply, nor resolve it.
    taken = rival.post(
        f"{url}/claim", data={"csrf_token": rival_csrf}, headers={"Accept": "application/json"}
    )
    assert taken.status_code == 409 and taken.json()["error"] == "handoff_conflict"
    intrusion = {"csrf_token": rival_csrf, "text": "hi", "client_id": str(uuid.uuid4())}
    assert rival.post(f"{url}/reply", data=intrusion).status_code == 409
    assert rival.post(f"{url}/resolve", data={"csrf_token": rival_csrf}).status_code == 403

    page = client.get(url).text
    assert 'id="state" data-state="assigned"' in page and 'id="reply-send"' in page
    client_id = re.search(r'name="client_id" value="([^"]+)"', page)
    assert client_id
    form = {"csrf_token": csrf, "text": "Hello, I am looking into it.", "client_id": client_id[1]}
    assert client.post(f"{url}/reply", data=form).status_code == 303
    again = client.post(f"{url}/reply", data=form, headers={"Accept": "application/json"})
    assert again.status_code == 200 and again.json()["message_id"] == client_id[1]
    too_long = client.post(
        f"{url}/reply", data={**form, "text": "x" * 4001, "client_id": ""},
        headers={"Accept": "application/json"},
    )  # fmt: skip
    assert too_long.status_code == 400 and too_long.json()["error"] == "too_long"
    assert client.post(f"{url}/notes", data={"csrf_token": csrf, "text": "VIP"}).status_code == 303

    view = client.get(f"/console/api/conversations/{conversation_id}").json()
    agent_messages = [m for m in view["messages"] if m["role"] == "agent"]
    assert [m["text"] for m in agent_messages] == ["Hello, I am looking into it."]
    assert [n["text"] for n in view["notes"]] == ["VIP"]
    page = client.get(url).text
    assert 'class="message" data-role="agent"' in page and 'class="note"' in page

    assert client.post(f"{url}/resolve", data={"csrf_token": csrf}).status_code == 303
    assert escalation_state(app, conversation_id)[0] == "resolved"
    page = client.get(url).text
    assert 'id="state" data-state="bot"' in page and 'value="resolve"' not in page
    missing = client.get("/console/conversations/nope")
    assert missing.status_code == 404 and 'id="error-message"' in missing.text
    assert client.get("/console/api/conversations/nope").status_code == 404
    with Session(engine_of(app)) as session:
        count = session.scalar(
            select(func.count()).select_from(Message).where(Message.role == "agent")
        )
        assert count == 1
        assert session.scalar(select(func.count()).select_from(Note)) == 1
    del rival
