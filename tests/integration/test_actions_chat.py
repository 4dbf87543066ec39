"""Actions in the customer chat: `supportbot serve` with an actions.toml pointing at a stand-in
for the company's order API (tests/integration/company_api.py), the demo intent taxonomy (so
the learned triage reads "where is my order?"), a socket.io customer as in test_chat.py."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import REPO
from tests.integration import company_api
from tests.integration.chat_server import ChatClient, free_port, serve, write_access_point_corpus
from tests.integration.company_api import StandInAPI, stand_in_api

pytestmark = pytest.mark.slow


class Served:
    def __init__(self, base: str, home: Path, company: StandInAPI, evil: StandInAPI) -> None:
        self.base, self.home, self.company, self.evil = base, home, company, evil


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = write_access_point_corpus(tmp_path_factory.mktemp("actions-data"), starter="Reset")
    shutil.copy(REPO / "data" / "intents.toml", data / "intents.toml")
    home = tmp_path_factory.mktemp("actions-home")
    with stand_in_api() as company, stand_in_api() as evil:
        down = free_port()
        (data / "actions.toml").write_text(
            company_api.actions_toml(company, down_port=down), encoding="utf-8"
        )
        company.redirect_to = f"{evil.base}/stolen"
        env = {
            "SUPPORTBOT_ACTIONS__ALLOWED_HOSTS": f'["{company.host}", "127.0.0.1:{down}"]',
            "SUPPORTBOT_ACTIONS__AUTH": '{"orders": "Bearer chat-test"}',
        }
        with serve(home, data, **env) as base:
            yield Served(base, home, company, evil)


def conversation(served: Served, *messages: str) -> list[dict[str, Any]]:
    """A new customer sends `messages` one by one; the bot's final replies, with whether each
    offered a person (its "Talk to a person" button)."""

    async def scenario() -> list[dict[str, Any]]:
        customer = ChatClient(served.base)
        await customer.login()
        await customer.connect()
        replies = []
        try:
            for message in messages:
                start = len(customer.events)
                reply = await customer.ask(message)
                await asyncio.sleep(0.3)  # the reply's buttons follow its final update
                offered = [a["name"] for a in customer.events_named("action", start)]
                replies.append({**reply, "offered": offered})
        finally:
            await customer.close()
        return replies

    return asyncio.run(scenario())


def test_a_customer_gets_their_order_status_from_the_company_system(served: Served) -> None:
    [reply] = conversation(served, "where is my order 12345-678?")
    text = reply["output"]
    assert text.startswith("From our order system: order 12345")
    assert "shipped" in text and "ParcelPost" in text and "2026" in text
    assert reply["offered"] == []
    assert any(r.path == "/orders/12345-678" for r in served.company.requests)
    assert served.evil.requests == []
    log = (served.home / "serve.log").read_text(encoding="utf-8")
    assert "/orders/[order] -> answered (HTTP 200)" in log and "12345-678" not in log


def test_the_bot_asks_for_a_missing_order_number_then_looks_it_up(served: Served) -> None:
    asked, answered = conversation(served, "Where is my order?", "It's 55555-001")
    assert "What is your order number?" in asked["output"]
    assert "From our order system" in answered["output"]
    assert "being packed" in answered["output"]


def test_the_system_down_or_slow_gives_an_honest_message_and_a_person(served: Served) -> None:
    for message in ("where is my order 99999-999?", "what is the status of RMA 5512?"):
        [reply] = conversation(served, message)
        assert "couldn't get an answer from our" in reply["output"]
        assert reply["offered"] == ["talk_to_person"]


def test_the_look_ups_are_counted_in_metrics(served: Served) -> None:
    conversation(served, "where is my order 12345-678?")
    metrics = httpx.get(f"{served.base}/metrics", timeout=10).text
    assert 'supportbot_actions_total{action="order_status",outcome="answered"}' in metrics
    assert 'supportbot_answers_total{kind="action"}' in metrics
    assert "12345-678" not in metrics
