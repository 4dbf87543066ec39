"""The queue (app.console.routers.queue): filters, and a conversation returned to the bot."""

from __future__ import annotations

from fastapi import FastAPI

from tests.integration.console_client import (
    engine_of,
    escalate,
    seed_conversation,
    signed_in,
)


def test_return_to_bot_and_queue_filters(app: FastAPI) -> None:
    first = seed_conversation(engine_of(app))
    second = seed_conversation(engine_of(app), "the router is down again and nobody helps")
    escalate(app, first, "asked_for_human")
    escalate(app, second, "complaint")
    client, csrf = signed_in(app, "alice")
    client.post(f"/console/conversations/{second}/claim", data={"csrf_token": csrf})

    def ids(**params: str) -> list[str]:
        items = client.get("/console/api/queue", params=params).json()["items"]
        return [i["conversation_id"] for i in items]

    assert set(ids()) == {first, second}
    assert ids(state="queued") == [first] and ids(state="assigned") == [second]
    assert ids(mine="1") == [second] and ids(reason="asked_for_human") == [first]
    page = client.get("/console", params={"state": "assigned"}).text
    assert page.count('class="queue-item"') == 1 and 'id="filter-state"' in page
    fragment = client.get("/console/fragments/queue", params={"state": "queued"})
    assert fragment.status_code == 200 and fragment.text.count('class="queue-item"') == 1
    returned = client.post(f"/console/conversations/{second}/return", data={"csrf_token": csrf})
    assert returned.status_code == 303
    assert ids() == [first]
