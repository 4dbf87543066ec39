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


def test_the_queue_shows_and_filters_by_the_companys_intent(app: FastAPI) -> None:
    billing = seed_conversation(
        engine_of(app), "I was charged twice this month", intent="account_billing"
    )
    rma = seed_conversation(engine_of(app), "My LR-200 died, I need a replacement", intent="rma")
    unknown = seed_conversation(engine_of(app), "hmm")
    for conversation in (billing, rma, unknown):
        escalate(app, conversation, "asked_for_human")
    client, _ = signed_in(app, "alice")
    items = client.get("/console/api/queue").json()["items"]
    assert {i["conversation_id"]: i["intent"] for i in items} == {
        billing: "account_billing",
        rma: "rma",
        unknown: None,
    }
    only = client.get("/console/api/queue", params={"intent": "account_billing"}).json()
    assert [i["conversation_id"] for i in only["items"]] == [billing]
    page = client.get("/console", params={"intent": "rma"}).text
    assert page.count('class="queue-item"') == 1 and 'data-intent="rma"' in page
    assert '<option value="account_billing">' in page  # the filter offers every open intent
    brief = client.get(f"/console/conversations/{billing}").text
    assert '<dd id="intent">account_billing</dd>' in brief
