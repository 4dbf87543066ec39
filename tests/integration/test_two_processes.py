"""Two app processes on one PostgreSQL database: the customer's socket lives on one, the
agent's console on the other, and everything still arrives (LISTEN/NOTIFY, app/live/bus.py)."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import ExitStack

import httpx
import pytest

from tests.integration.chat_server import (
    ChatClient,
    create_agent,
    serve,
    write_access_point_corpus,
)
from tests.integration.conftest import fresh_postgres_database
from tests.integration.console_client import login

PASSWORD = "a long password 123"


@pytest.fixture(scope="module")
def two_apps(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(customer-facing process, console process), same database, same chat secret."""
    data = write_access_point_corpus(tmp_path_factory.mktemp("data"), starter="Reset")
    with ExitStack() as stack:
        url = stack.enter_context(fresh_postgres_database())
        env = {"SUPPORTBOT_DATABASE_URL": url, "SUPPORTBOT_CHAT__SECRET": "shared-" + "x" * 32}
        homes = [tmp_path_factory.mktemp(f"home{i}") for i in (1, 2)]
        chat = stack.enter_context(serve(homes[0], data, **env))
        console = stack.enter_context(serve(homes[1], data, **env))
        create_agent(homes[1], data, "ana", PASSWORD, name="Ana", **env)
        yield chat, console


class EventStream:
    """The console's server-sent events, read in a thread as the console page would."""

    def __init__(self, client: httpx.Client) -> None:
        self.events: list[dict[str, object]] = []
        self._client = client
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()
        assert self._opened.wait(10), "the console's event stream did not open"

    def _read(self) -> None:
        try:
            with self._client.stream("GET", "/console/events", timeout=None) as response:
                assert response.status_code == 200
                self._opened.set()
                for line in response.iter_lines():
                    if line.startswith("data:"):
                        self.events.append(json.loads(line[5:]))
        except httpx.HTTPError:
            return  # the server stopped at the end of the test

    def seen(self, since: int = 0, **match: object) -> bool:
        return any(all(e.get(k) == v for k, v in match.items()) for e in self.events[since:])


def test_a_reply_from_the_console_on_one_process_reaches_a_socket_on_the_other(
    two_apps: tuple[str, str],
) -> None:
    chat_base, console_base = two_apps
    agent = httpx.Client(base_url=console_base, headers={"Accept": "application/json"})
    csrf = login(agent, "ana", PASSWORD)
    stream = EventStream(httpx.Client(base_url=console_base, cookies=agent.cookies))

    async def scenario() -> None:
        customer = ChatClient(chat_base)
        await customer.login()
        await customer.connect()
        answer = await customer.ask("I want to talk to a person about my AP-2, order 55123")
        thread_id = str(answer["threadId"])
        await customer.wait_for_message("passed this conversation to our support team")

        # The escalation made on the chat's process shows in the other process's console.
        await _until(lambda: stream.seen(kind="escalation", conversation_id=thread_id))
        queue = agent.get("/console/api/queue").json()
        assert thread_id in [item["conversation_id"] for item in queue["items"]]

        headers = {"X-CSRF-Token": csrf}
        claim = agent.post(f"/console/conversations/{thread_id}/claim", headers=headers)
        assert claim.status_code == 200, claim.text
        await customer.wait_for_message("Ana from our support team has joined")

        client_id = str(uuid.uuid4())
        for _ in range(2):  # a double submit: stored once, pushed once
            reply = agent.post(
                f"/console/conversations/{thread_id}/reply",
                data={"text": "Hi, Ana here. Checking order 55123 now.", "client_id": client_id},
                headers=headers,
            )
            assert reply.status_code == 200, reply.text
        pushed = await customer.wait_for_message("Ana here")
        assert pushed["id"] == client_id
        await asyncio.sleep(0.5)  # a second push of the double submit would have come by now
        replies = [d for d in customer.events_named("new_message") if d["id"] == client_id]
        assert len(replies) == 1

        # The customer writes while Ana has it: no bot answer; Ana's console sees it live.
        start, seen = len(customer.events), len(stream.events)
        await customer.sio.emit("client_message", customer.message_payload("Thanks, waiting"))
        await _until(lambda: stream.seen(kind="message", role="customer", since=seen))
        view = agent.get(f"/console/api/conversations/{thread_id}").json()
        assert "Thanks, waiting" in [m["text"] for m in view["messages"]]
        assert not customer.events_named("stream_start", start)

        # The customer leaves; Ana answers while they are away; they come back and see it.
        cookies = customer.http.cookies
        await customer.close()
        away = agent.post(
            f"/console/conversations/{thread_id}/reply",
            data={"text": "Found it: a replacement ships today.", "client_id": str(uuid.uuid4())},
            headers=headers,
        )
        assert away.status_code == 200, away.text
        customer = ChatClient(chat_base, cookies=cookies)
        (await customer.http.post("/chat/auth/header")).raise_for_status()
        await customer.connect(thread_id)
        resumed = customer.events_named("resume_thread")[-1]
        outputs = [step["output"] for step in resumed["steps"]]
        assert any("replacement ships today" in o for o in outputs)
        assert any("Ana here" in o for o in outputs)

        resolve = agent.post(f"/console/conversations/{thread_id}/resolve", headers=headers)
        assert resolve.status_code == 200, resolve.text
        await customer.wait_for_message("marked this conversation as resolved")
        again = await customer.ask("How long do I hold the reset button on the AP-2?")
        assert "25 seconds" in again["output"]  # the bot answers again
        await customer.close()

    asyncio.run(scenario())
    agent.close()


async def _until(condition: object, timeout: float = 15) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():  # type: ignore[operator]
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.05)
