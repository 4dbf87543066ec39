"""The customer chat over its real protocol: `supportbot serve` in a subprocess, a socket.io
client speaking to Chainlit as its web UI does, the real pipeline, the real database."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from app.db.engine import make_engine
from tests.integration.chat_server import ChatClient, serve, write_access_point_corpus
from tests.integration.conftest import fresh_postgres_database


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def chat_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """The served chat and its database URL: SQLite by default, or a fresh PostgreSQL."""
    data = write_access_point_corpus(tmp_path_factory.mktemp("chat-data"), starter="Reset")
    home = tmp_path_factory.mktemp("chat-home")
    with ExitStack() as stack:
        if request.param == "postgres":
            url = stack.enter_context(fresh_postgres_database())
        else:
            url = f"sqlite:///{home / 'supportbot.db'}"
        base = stack.enter_context(serve(home, data, SUPPORTBOT_DATABASE_URL=url))
        yield base, url


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def _db_rows(url: str, sql: str) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql)))
    finally:
        engine.dispose()


def test_answer_streams_with_citations_feedback_and_resume(chat_app: tuple[str, str]) -> None:
    base, url = chat_app

    async def scenario() -> str:
        customer = ChatClient(base)
        await customer.login()
        await customer.connect()
        reply = await customer.ask("How long do I hold the reset button on the AP-2?")
        assert customer.events_named("stream_start"), "the answer was not streamed"
        content = reply["output"]
        assert "25 seconds" in content and "Sources: Source 1" in content
        await customer.wait_for("element")  # sent alongside the final update
        elements = customer.events_named("element")
        assert elements[0]["name"] == "Source 1"
        # The side panel loads the passage the way the UI does, from the session's files.
        opened = await customer.http.get(
            f"/chat/project/file/{elements[0]['chainlitKey']}",
            params={"session_id": customer.session_id},
        )
        opened.raise_for_status()
        assert "Factory reset" in opened.text and "25 seconds" in opened.text
        assert "<https://support.example.com/manuals/ap-2>" in opened.text
        thread_id = reply["threadId"]

        # Thumbs down on the answer, stored against that message.
        response = await customer.http.put(
            "/chat/feedback",
            json={
                "feedback": {"forId": reply["id"], "value": 0, "comment": "too vague"},
                "sessionId": customer.session_id,
            },
        )
        response.raise_for_status()
        await customer.sio.disconnect()

        # After a reload the conversation is listed and resumes with its context.
        listed = await customer.http.post(
            "/chat/project/threads",
            json={"pagination": {"first": 20}, "filter": {}},
        )
        listed.raise_for_status()
        assert thread_id in [t["id"] for t in listed.json()["data"]]
        resumed = ChatClient(base, cookies=customer.http.cookies)
        await resumed.connect(thread_id=thread_id)
        follow_up = await resumed.ask("and what colour does the LED blink?")
        assert "purple" in follow_up["output"]
        # A second thumbs down: the bot has failed twice, a person is brought in.
        response = await resumed.http.put(
            "/chat/feedback",
            json={
                "feedback": {"forId": follow_up["id"], "value": 0, "comment": None},
                "sessionId": resumed.session_id,
            },
        )
        response.raise_for_status()
        await resumed.wait_for_message("passed this conversation to our support team")
        await resumed.close()
        await customer.close()
        return str(thread_id)

    thread_id = run(scenario())
    feedback = _db_rows(url, "select value, comment from sb_feedback")
    assert sorted(feedback, key=lambda row: row[1] or "") == [(0, None), (0, "too vague")]
    escalation = _db_rows(
        url, f"select reason from sb_escalations where conversation_id = '{thread_id}'"
    )
    assert escalation == [("repeated_failure",)]
    citations = _db_rows(url, "select source, marker from sb_citations")
    assert ("manuals/ap-2.md", 1) in citations


def test_talk_to_a_person_queues_the_conversation_and_says_what_happens_next(
    chat_app: tuple[str, str],
) -> None:
    base, url = chat_app

    async def scenario() -> str:
        customer = ChatClient(base)
        await customer.login()
        await customer.connect()
        reply = await customer.ask("How do I mount the AP-1?")
        await customer.wait_for("action")
        actions = customer.events_named("action")
        assert [a["name"] for a in actions] == ["talk_to_person"]
        response = await customer.http.post(
            "/chat/project/action",
            json={
                "sessionId": customer.session_id,
                "action": actions[0],
            },
        )
        response.raise_for_status()
        notice = await customer.wait_for_message("passed this conversation to our support team")
        assert "reply right here" in notice["output"]
        # While a person is asked for, the bot does not answer: the message goes to them, and
        # the customer is only told it was added to their request.
        start = len(customer.events)
        await customer.sio.emit("client_message", customer.message_payload("Order 55123 btw"))
        await customer.wait_for_message("added to your request")
        await asyncio.sleep(1.5)
        said = [
            d["output"]
            for d in customer.events_named("new_message", start)
            if d["type"] == "assistant_message"
        ]
        assert len(said) == 1 and said[0].startswith("Thanks, that's added to your request")
        assert not customer.events_named("stream_start", start)
        await customer.close()
        return str(reply["threadId"])

    thread_id = run(scenario())
    status = _db_rows(url, f"select status from sb_conversations where id = '{thread_id}'")
    assert status == [("queued",)]
    escalation = _db_rows(
        url, f"select state, reason from sb_escalations where conversation_id = '{thread_id}'"
    )
    assert escalation == [("queued", "asked_for_human")]
    texts = _db_rows(url, f"select text from sb_messages where conversation_id = '{thread_id}'")
    assert ("Order 55123 btw",) in texts


def test_a_question_back_offers_its_options_as_buttons_and_a_click_goes_on(
    chat_app: tuple[str, str],
) -> None:
    base, url = chat_app

    async def scenario() -> tuple[str, str]:
        customer = ChatClient(base)
        await customer.login()
        await customer.connect()
        question = await customer.ask("How long do I hold the reset button?")
        shown = question["output"].replace("\\", "")  # made inert: Markdown escaped
        assert "AP-1" in shown and "AP-2" in shown
        await customer.wait_for("action")
        buttons = customer.events_named("action")
        assert [(a["name"], a["label"]) for a in buttons] == [
            ("choose_option", "AP-1"),
            ("choose_option", "AP-2"),
        ] or [(a["name"], a["label"]) for a in buttons] == [
            ("choose_option", "AP-2"),
            ("choose_option", "AP-1"),
        ]
        ap2 = next(a for a in buttons if a["label"] == "AP-2")
        # A forged payload (an option never offered) is ignored.
        start = len(customer.events)
        forged = {**ap2, "payload": {"option": 7}}
        response = await customer.http.post(
            "/chat/project/action", json={"sessionId": customer.session_id, "action": forged}
        )
        response.raise_for_status()
        await asyncio.sleep(1)
        assert not customer.answered_since(start)

        response = await customer.http.post(
            "/chat/project/action", json={"sessionId": customer.session_id, "action": ap2}
        )
        response.raise_for_status()
        deadline = asyncio.get_running_loop().time() + 60
        while not customer.answered_since(start):
            assert asyncio.get_running_loop().time() < deadline, "no answer to the click"
            await asyncio.sleep(0.05)
        answer = customer.final_message(start)
        await customer.close()
        return str(answer["output"]), str(question["threadId"])

    answer, thread_id = run(scenario())
    assert "25 seconds" in answer.replace("\\", "")
    texts = _db_rows(url, f"select text from sb_messages where conversation_id = '{thread_id}'")
    assert ("AP-2",) in texts  # the click is the customer's message, stored as one


def test_a_customer_cannot_open_another_customers_conversation(
    chat_app: tuple[str, str],
) -> None:
    base, _url = chat_app

    async def scenario() -> None:
        owner = ChatClient(base)
        await owner.login()
        await owner.connect()
        reply = await owner.ask("How do I mount the AP-2?")
        await owner.close()

        stranger = ChatClient(base)
        await stranger.login()
        response = await stranger.http.get(f"/chat/project/thread/{reply['threadId']}")
        assert response.status_code in (401, 403, 404)
        with pytest.raises(Exception, match="(?i)failed to connect"):
            await stranger.connect(thread_id=reply["threadId"])
        await stranger.close()

    run(scenario())


def test_hostile_text_is_shown_inert(chat_app: tuple[str, str]) -> None:
    base, _url = chat_app

    async def scenario() -> None:
        customer = ChatClient(base)
        await customer.login()
        await customer.connect()
        reply = await customer.ask(
            "<script>alert(1)</script> ![x](http://evil.example/x.png) reset AP-1?"
        )
        assert "<script" not in reply["output"] and "](http" not in reply["output"]
        await customer.close()

    run(scenario())


def test_chat_refuses_unknown_origins_and_unsigned_identities(chat_app: tuple[str, str]) -> None:
    base, _url = chat_app
    forged = httpx.post(f"{base}/chat/auth/header", cookies={"sb_customer": "abc.def"})
    assert forged.status_code in (401, 403)

    async def scenario() -> None:
        customer = ChatClient(base)
        await customer.login()
        cookie = "; ".join(f"{k}={v}" for k, v in customer.http.cookies.items())
        with pytest.raises(Exception, match="(?i)connection"):
            await customer.sio.connect(
                base,
                socketio_path="/chat/ws/socket.io",
                headers={"Cookie": cookie, "Origin": "https://evil.example"},
                auth={"sessionId": "x", "clientType": "webapp", "threadId": None},
                transports=["websocket"],
            )
        await customer.close()

    run(scenario())


def test_starters_and_widget_demo_page(chat_app: tuple[str, str]) -> None:
    base, _url = chat_app
    with httpx.Client(base_url=base) as client:
        client.get("/chat/").raise_for_status()
        client.post("/chat/auth/header").raise_for_status()
        settings = client.get("/chat/project/settings", params={"language": "en-US"}).json()
        assert [s["message"] for s in settings["starters"]] == ["How do I reset my AP-1?"]
        page = client.get("/widget-demo")
        assert page.status_code == 200
        assert "/chat/public/widget.js" in page.text and "mountSupportWidget" in page.text
        loader = client.get("/chat/public/widget.js").text  # signs in, then mounts Chainlit's
        assert "/copilot/index.js" in loader and "mountChainlitWidget" in loader
        assert "script-src 'self' 'nonce-" in page.headers["content-security-policy"]
        assert client.get("/chat/copilot/index.js").status_code == 200


def test_a_message_sent_twice_is_answered_once_and_two_misses_bring_a_person(
    chat_app: tuple[str, str],
) -> None:
    base, url = chat_app

    async def scenario() -> str:
        customer = ChatClient(base)
        await customer.login()
        await customer.connect()
        # A flaky network makes the widget send the same message (same client id) twice.
        payload = customer.message_payload("Where do I mount the AP-1 bracket?")
        await customer.sio.emit("client_message", payload)
        await customer.sio.emit("client_message", payload)
        deadline = asyncio.get_running_loop().time() + 60
        while len(customer.events_named("task_end")) < 2 or not customer.answered_since(0):
            assert asyncio.get_running_loop().time() < deadline, "no answer"
            await asyncio.sleep(0.05)
        await asyncio.sleep(1)  # a second answer, if one were coming, would have started
        answers = {d["id"] for d in customer.events_named("stream_start")}
        assert len(answers) == 1, "the same message was answered twice"

        first = await customer.ask("What is the capital of Australia?")
        assert "couldn't find" in first["output"]
        start = len(customer.events)
        await customer.ask("How do I set up BGP peering with my ISP?")
        outputs = [d["output"] for d in customer.events_named("update_message", start)]
        assert any("couldn't find anything about BGP" in o for o in outputs)
        await customer.wait_for_message("passed this conversation to our support team")
        await customer.close()
        return str(first["threadId"])

    thread_id = run(scenario())
    same = _db_rows(
        url, "select count(*) from sb_messages where text = 'Where do I mount the AP-1 bracket?'"
    )
    assert same == [(1,)]
    escalation = _db_rows(
        url, f"select reason from sb_escalations where conversation_id = '{thread_id}'"
    )
    assert escalation == [("repeated_failure",)]
