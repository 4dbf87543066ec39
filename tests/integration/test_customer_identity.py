"""Who the customer is, end to end: `supportbot serve` in a subprocess with a site token
secret and the pre-chat form on, customers over the chat's real protocol (HTTP sign-in,
socket.io), and the console (its TestClient on the same database) showing what agents see.

- a customer signed in with the site's token on two devices is one customer: the second
  conversation's page shows their name, e-mail and the first conversation;
- a forged token leaves the customer anonymous (logged, without the token's contents);
- the pre-chat form asks an unknown customer for name and e-mail before the first message,
  says what was wrong, keeps the answers on the customer and out of the transcript.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from app.chat.prechat import ASK_NAME
from app.chat.site_token import SiteCustomer, make_site_token
from app.db.engine import make_engine
from app.db.models import utc_now
from app.ground.config import Settings
from app.ground.render import plain
from tests.integration.chat_server import ChatClient, serve, write_access_point_corpus
from tests.integration.console_client import console_app, engine_of, signed_in

SECRET = "shared with larkspur.example's backend"
ANA = SiteCustomer(site_id="cust-4711", name="Ana Silva", email="ana.silva@example.com")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """The served chat, its database URL and its log."""
    data = write_access_point_corpus(tmp_path_factory.mktemp("identity-data"), starter="Reset")
    home = tmp_path_factory.mktemp("identity-home")
    url = f"sqlite:///{home / 'supportbot.db'}"
    env = {
        "SUPPORTBOT_DATABASE_URL": url,
        "SUPPORTBOT_CHAT__SITE_TOKEN_SECRET": SECRET,
        "SUPPORTBOT_CHAT__PRECHAT_FORM": "true",
    }
    with serve(home, data, **env) as base:
        yield base, url, home / "serve.log"


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def rows(url: str, sql: str, **params: Any) -> list[Any]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


async def site_sign_in(customer: ChatClient, token: str) -> dict[str, Any]:
    """What the widget loader does with the site's token: exchange it, then sign in."""
    exchanged = await customer.http.post(
        "/chat/auth/customer", headers={"Authorization": f"Bearer {token}"}
    )
    exchanged.raise_for_status()
    body: dict[str, Any] = exchanged.json()
    signed = await customer.http.post(
        "/chat/auth/jwt", headers={"Authorization": f"Bearer {body['accessToken']}"}
    )
    signed.raise_for_status()
    return body


async def who_am_i(customer: ChatClient) -> str:
    user = await customer.http.get("/chat/user")
    user.raise_for_status()
    return str(user.json()["identifier"])


def said(customer: ChatClient, start: int = 0) -> list[str]:
    """What the chat showed the customer, as they read it (the chat escapes Markdown)."""
    return [plain(str(d.get("output") or "")) for d in customer.events_named("new_message", start)]


async def wait_said(customer: ChatClient, containing: str, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not any(containing in out for out in said(customer)):
        if asyncio.get_running_loop().time() > deadline:
            raise TimeoutError(f"never said {containing!r}; said {said(customer)}")
        await asyncio.sleep(0.05)


def token(customer: SiteCustomer = ANA, **expiry: int) -> str:
    return make_site_token(
        customer, SECRET, expires=utc_now() + timedelta(**(expiry or {"minutes": 5}))
    )


def test_a_site_customer_is_known_on_every_device_and_agents_see_who_they_are(
    served: tuple[str, str, Path], tmp_path: Path
) -> None:
    base, url, _log = served

    async def scenario() -> tuple[str, str]:
        laptop = ChatClient(base)
        assert (await site_sign_in(laptop, token()))["identified"] is True
        await laptop.connect()
        first = await laptop.ask("How long do I hold the reset button on the AP-2?")
        assert "25 seconds" in first["output"]
        assert not any(ASK_NAME in out for out in said(laptop)), "a known customer was asked"
        await laptop.close()

        phone = ChatClient(base)  # another device: no cookies, a new token for the same id
        assert (await site_sign_in(phone, token(SiteCustomer("cust-4711", None, None))))[
            "identified"
        ]
        assert await who_am_i(phone) == ANA.identifier
        listed = await phone.http.post(
            "/chat/project/threads", json={"pagination": {"first": 20}, "filter": {}}
        )
        listed.raise_for_status()
        assert first["threadId"] in [t["id"] for t in listed.json()["data"]]  # it followed
        await phone.connect()
        second = await phone.ask("How do I mount the AP-1?")
        await phone.wait_for("action")
        handoff = phone.events_named("action")[0]
        response = await phone.http.post(
            "/chat/project/action", json={"sessionId": phone.session_id, "action": handoff}
        )
        response.raise_for_status()
        await phone.wait_for_message("passed this conversation to our support team")
        await phone.close()
        return str(first["threadId"]), str(second["threadId"])

    first_id, second_id = run(scenario())
    customers = rows(
        url,
        "select contact_name, contact_email, site_customer_id, profile_source from sb_customers"
        " where identifier = :who",
        who=ANA.identifier,
    )
    # The token without a name or e-mail kept the ones the first one brought.
    assert customers == [("Ana Silva", "ana.silva@example.com", "cust-4711", "site")]

    app = console_app(Settings(home=tmp_path / "console-home"), url)
    try:
        agent, _csrf = signed_in(app, "alice", "agent")
        queue = agent.get("/console").text
        row = queue[queue.index(f'data-conversation-id="{second_id}"') :]
        assert 'class="customer-name">Ana Silva<' in row[: row.index("</tr>")]
        assert ANA.identifier not in queue
        page = agent.get(f"/console/conversations/{second_id}").text
        assert "&lt;ana.silva@example.com&gt;" in page and 'id="site-customer-id">cust-4711' in page
        start = page.index('id="earlier-conversations"')
        earlier = page[start : page.index("</ul>", start)]
        assert f'href="/console/conversations/{first_id}"' in earlier
        assert "How long do I hold the reset button on the AP-2?" in earlier
    finally:
        engine_of(app).dispose()


def test_a_forged_token_leaves_the_customer_anonymous_and_the_form_asks_who_they_are(
    served: tuple[str, str, Path],
) -> None:
    base, url, log = served
    mallory = SiteCustomer("cust-4711", "Mallory Forger", "mallory@evil.example")
    forged = make_site_token(mallory, "a guessed secret", expires=utc_now() + timedelta(minutes=5))

    async def scenario() -> tuple[str, str]:
        customer = ChatClient(base)
        (await customer.http.get("/chat/")).raise_for_status()  # the browser's own cookie
        assert (await site_sign_in(customer, forged))["identified"] is False
        identity = await who_am_i(customer)
        assert identity.startswith("customer:") and identity != ANA.identifier

        await customer.connect()
        await wait_said(customer, ASK_NAME)  # before the first message
        start = len(customer.events)
        await customer.sio.emit("client_message", customer.message_payload("Bea Keller"))
        await wait_said(customer, "And your e-mail address")
        await customer.sio.emit("client_message", customer.message_payload("bea at example"))
        await wait_said(customer, "doesn't look like an e-mail address")
        await customer.sio.emit("client_message", customer.message_payload("bea@example.org"))
        await wait_said(customer, "How can I help you today?")
        assert not customer.events_named("stream_start", start), "a form answer was answered"
        reply = await customer.ask("How long do I hold the reset button on the AP-1?")
        assert "10 seconds" in reply["output"]
        await customer.close()
        return identity, str(reply["threadId"])

    identity, thread_id = run(scenario())
    assert rows(
        url,
        "select contact_name, contact_email, site_customer_id, profile_source from sb_customers"
        " where identifier = :who",
        who=identity,
    ) == [("Bea Keller", "bea@example.org", None, "form")]
    # Nobody became Mallory, and the form's answers are no messages of the conversation.
    assert rows(url, "select 1 from sb_customers where contact_name like 'Mallory%'") == []
    texts = [
        t
        for (t,) in rows(
            url, "select text from sb_messages where conversation_id = :c", c=thread_id
        )
    ]
    assert texts and not any("Bea" in t or "bea@" in t for t in texts)
    logged = log.read_text(encoding="utf-8", errors="replace")
    assert "customer token refused" in logged and "bad signature" in logged
    for personal in ("Mallory", "mallory@evil.example", "Bea Keller", "bea@example.org", forged):
        assert personal not in logged
