"""Actions over real HTTP against a stand-in for the company's API (tests/integration/
company_api.py), with real triage reading the customer's words: answers name their source,
failures are honest and offer a person, and no customer text can make a call leave for a
host outside the allowlist (a second stand-in plays that host and must hear nothing)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from app.actions.config import load_actions
from app.actions.runner import ActionReply, ActionRunner
from app.doors.metrics import Metrics
from app.ground.config import ActionsSettings
from app.pipeline.triage import Triager
from tests.integration import company_api
from tests.integration.chat_server import free_port
from tests.integration.company_api import StandInAPI, stand_in_api

SECRET = "Bearer test-secret-7781"


@pytest.fixture(scope="module")
def company() -> Iterator[StandInAPI]:
    with stand_in_api() as api:
        yield api


@pytest.fixture(scope="module")
def evil() -> Iterator[StandInAPI]:
    with stand_in_api() as api:
        yield api


@pytest.fixture(scope="module")
def triager() -> Triager:
    return Triager()  # the rules and spaCy: what finds identifiers in any deployment


class World:
    def __init__(self, company: StandInAPI, evil: StandInAPI, tmp_path: Path) -> None:
        self.company, self.evil = company, evil
        company.requests.clear()
        evil.requests.clear()
        company.redirect_to = f"{evil.base}/stolen"
        path = tmp_path / "actions.toml"
        path.write_text(company_api.actions_toml(company, down_port=free_port()), "utf-8")
        down = f"127.0.0.1:{path.read_text().split('127.0.0.1:')[-1].split('/')[0]}"
        settings = ActionsSettings(
            allowed_hosts=[company.host, down], auth={"orders": SecretStr(SECRET)}
        )
        self.book = load_actions(path, settings)
        self.metrics = Metrics()
        self.runner = ActionRunner(self.book, settings, self.metrics.observe_action)

    def counted(self, action: str, outcome: str) -> float:
        for family in text_string_to_metric_families(self.metrics.exposition().decode()):
            for sample in family.samples:
                if sample.name == "supportbot_actions_total" and sample.labels == {
                    "action": action,
                    "outcome": outcome,
                }:
                    return sample.value
        return 0.0


@pytest.fixture
def world(company: StandInAPI, evil: StandInAPI, tmp_path: Path) -> World:
    return World(company, evil, tmp_path)


def reply(world: World, triager: Triager, message: str) -> ActionReply | None:
    async def go() -> ActionReply | None:
        try:
            return await world.runner.reply(message, (), triager(message))
        finally:
            await world.runner.aclose()

    return asyncio.run(go())


def run(world: World, action: str, value: str) -> ActionReply:
    async def go() -> ActionReply:
        try:
            return await world.runner.run(world.book.named(action), value)
        finally:
            await world.runner.aclose()

    return asyncio.run(go())


def test_an_order_is_looked_up_answered_from_its_fields_and_names_its_source(
    world: World, triager: Triager, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="app.actions"):
        answered = reply(world, triager, "where is my order 12345-678?")
    assert answered is not None and answered.outcome == "answered"
    assert answered.text == (
        "From our order system: order 12345-678 is shipped, with ParcelPost, "
        "expected on 2026-12-11."
    )
    assert not answered.offer_person
    assert "VIP" not in answered.text  # a field the action does not list is never shown
    [request] = world.company.requests
    assert (request.method, request.path) == ("GET", "/orders/12345-678")
    assert request.headers["Authorization"] == SECRET
    # Logged, without the order number; counted.
    assert "action order_status: GET" in caplog.text and "/orders/[order]" in caplog.text
    assert "12345-678" not in caplog.text and SECRET not in caplog.text
    assert world.counted("order_status", "answered") == 1


@pytest.mark.parametrize(
    ("action", "value", "outcome"),
    [
        ("order_status", company_api.SLOW, "timeout"),
        ("order_status", company_api.UNAVAILABLE, "error"),
        ("order_status", company_api.NOT_JSON, "error"),
        ("order_status", company_api.HUGE, "error"),
        ("rma_status", "RMA-5512", "error"),  # nothing listens: the service is down
    ],
)
def test_a_failed_look_up_says_so_honestly_and_offers_a_person(
    world: World, action: str, value: str, outcome: str
) -> None:
    started = time.monotonic()
    failed = run(world, action, value)
    assert time.monotonic() - started < company_api.SLOW_SECONDS - 1  # the timeout held
    assert failed.outcome == outcome and failed.offer_person
    assert "couldn't get an answer from" in failed.text and "A person" in failed.text
    assert world.counted(action, outcome) == 1


def test_an_unknown_order_is_said_to_be_unknown(world: World) -> None:
    missing = run(world, "order_status", "11111-111")
    assert missing.outcome == "not_found" and missing.offer_person
    assert "has no record of it" in missing.text and "11111-111" in missing.text


def test_a_redirect_is_not_followed(world: World) -> None:
    redirected = run(world, "order_status", company_api.REDIRECTED)
    assert redirected.outcome == "error" and redirected.offer_person
    assert world.evil.requests == []


HOSTILE_VALUES = [
    "../",
    "../../admin",
    "@evil.example",
    "%2F..%2Fevil",
    "http://evil.example/",
    "12345\r\nHost: evil.example",
    "12345\nGET http://evil.example/ HTTP/1.1",
    "9" * 10_000,
    "12345/../../customers/x",
]


@pytest.mark.parametrize("value", HOSTILE_VALUES)
def test_a_hostile_value_sends_nothing_anywhere(world: World, value: str) -> None:
    for action in ("order_status", "customer_lookup", "rma_status"):
        refused = run(world, action, value)
        assert refused.outcome == "error" and refused.offer_person
    assert world.company.requests == [] and world.evil.requests == []


def test_an_address_with_an_at_sign_stays_in_the_path_encoded(world: World) -> None:
    looked_up = run(world, "customer_lookup", "someone@evil.example")
    assert looked_up.outcome == "not_found"
    assert [r.path for r in world.company.requests] == ["/customers/someone%40evil.example"]
    assert world.evil.requests == []


HOSTILE_MESSAGES = [
    "where is my order ../../evil.example?",
    "order @evil.example",
    "order 12345@evil.example/steal",
    "order %2F..%2Fevil.example",
    "order http://evil.example/orders/1",
    "order 12345-678\r\nHost: evil.example",
    "order 12345-678/../../admin?x=1",
    "my order number is " + "7" * 10_000,
    "where is order 12345-678#@evil.example",
    "contact me at x@evil.example about order ../",
    "RMA ../../@evil.example",
]


@pytest.mark.parametrize("message", HOSTILE_MESSAGES)
def test_whatever_the_customer_writes_no_call_leaves_for_another_host(
    world: World, triager: Triager, message: str
) -> None:
    reply(world, triager, message)
    assert world.evil.requests == []
    # What did leave is one identifier triage found, valid for its kind, encoded, on the
    # stand-in: the order number before the hostile part, or an address, its @ encoded.
    for request in world.company.requests:
        assert request.path in (
            "/orders/12345-678",
            "/customers/" + quote("12345@evil.example", safe=""),
            "/customers/" + quote("x@evil.example", safe=""),
        )
