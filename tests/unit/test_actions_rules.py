"""Actions without the network: what actions.toml may declare, which values may go into a URL
and the URL they make, and when a turn runs an action or asks for its identifier."""

from __future__ import annotations

import logging
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest
from pydantic import SecretStr

from app.actions.config import ActionsFileError, load_actions
from app.actions.match import Ask, Run, plan
from app.actions.values import UnsafeURL, fill, normalised, valid_value
from app.ground.config import ActionsSettings
from app.ground.render import inert
from app.pipeline.types import Entity, Triage, Turn

ORDER_ACTION = """
[[action]]
name = "order_status"
source = "our order system"
intents = ["order_status"]
entity = "order"
url = "https://orders.example.com/api/orders/{order}?fields=status"
show = ["status", "eta"]
answer = "order {order} is {status}, expected on {eta}."
"""
ALLOWED = ActionsSettings(allowed_hosts=["orders.example.com"])
HOSTILE = [
    "../",
    "../../admin",
    "@evil.example",
    "x@evil.example",
    "%2F..%2Fevil",
    "http://evil.example/",
    "//evil.example",
    "123\r\nHost: evil.example",
    "123\nGET http://evil.example/ HTTP/1.1",
    "9" * 10_000,
    "12345?redirect=http://evil.example",
    "12345#@evil.example",
    "12345\\@evil.example",
    "ÖRDER-12345",
    "12345 678",
    "",
]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "actions.toml"
    path.write_text(text, encoding="utf-8")
    return path


def triage(*entities: tuple[str, str], intent: str = "faq", company: str | None = None) -> Triage:
    found = tuple(Entity(kind, value, value) for kind, value in entities)  # type: ignore[arg-type]
    return Triage(0.0, "neutral", False, 0.1, intent, found, company_intent=company)  # type: ignore[arg-type]


def test_a_missing_file_means_no_actions(tmp_path: Path) -> None:
    assert load_actions(tmp_path / "actions.toml", ALLOWED).actions == ()


def test_an_action_is_off_unless_its_host_is_allowlisted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write(tmp_path, ORDER_ACTION)
    with caplog.at_level(logging.WARNING):
        assert load_actions(path, ActionsSettings()).actions == ()
    assert "orders.example.com is not in SUPPORTBOT_ACTIONS__ALLOWED_HOSTS" in caplog.text
    # The port is part of the name: another port of the same host is another host.
    assert (
        load_actions(path, ActionsSettings(allowed_hosts=["orders.example.com:8443"])).actions == ()
    )
    assert [a.name for a in load_actions(path, ALLOWED).actions] == ["order_status"]


def test_an_action_whose_auth_secret_is_not_set_stays_off(tmp_path: Path) -> None:
    path = write(tmp_path, ORDER_ACTION + 'auth = "orders"\n')
    assert load_actions(path, ALLOWED).actions == ()
    with_secret = ActionsSettings(
        allowed_hosts=["orders.example.com"], auth={"orders": SecretStr("Bearer s3cret")}
    )
    assert load_actions(path, with_secret).actions[0].auth == "orders"


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (("{order}?fields=status", "?fields=status"), "must hold {order}"),
        (("orders.example.com", "{order}.example.com"), "host part of the url is fixed"),
        (("https://orders.example.com", "https://user@orders.example.com"), "no @"),
        (("https://", "file://"), "http:// or https://"),
        (("?fields=status", "?fields={status}"), "no other {...}"),
        (('entity = "order"', 'entity = "card"'), "entity 'card' is not one of"),
        (("{status}, expected", "{secret_field}, expected"), "neither in `show`"),
        (('name = "order_status"', 'name = "Order Status!"'), "the name must be"),
        (('intents = ["order_status"]', 'intents = "order_status"'), "must be a list"),
        (('intents = ["order_status"]', "on_entity = false"), "nothing triggers it"),
        (('source = "our order system"', 'timeout_s = 60\nsource = "x"'), "timeout_s must be"),
        (('source = "our order system"', 'pattern = "[0-9"\nsource = "x"'), "not a regular"),
        (('source = "our order system"', 'method = "DELETE"\nsource = "x"'), "GET or POST"),
        (("[[action]]", "[[action]\n"), "not valid TOML"),
    ],
)
def test_a_malformed_declaration_is_refused_with_what_is_wrong(
    tmp_path: Path, change: tuple[str, str], complaint: str
) -> None:
    path = write(tmp_path, ORDER_ACTION.replace(*change))
    with pytest.raises(ActionsFileError) as raised:
        load_actions(path, ALLOWED)
    assert complaint in str(raised.value) and str(path) in str(raised.value)


@pytest.mark.parametrize("value", HOSTILE)
def test_no_value_changes_the_host_and_the_path_holds_only_the_encoded_value(value: str) -> None:
    template = "https://orders.example.com/api/orders/{order}?fields=status"
    url = fill(template, "order", value, frozenset({"orders.example.com"}))
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc) == ("https", "orders.example.com")
    assert parts.path == "/api/orders/" + quote(value, safe="")
    assert parts.query == "fields=status" and not parts.fragment
    assert not any(ch in parts.path.removeprefix("/api/orders/") for ch in "/?#@\r\n\\ ")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_values_are_no_identifiers_of_any_kind(value: str) -> None:
    for kind in ("order", "serial", "rma", "ticket", "phone"):
        assert not valid_value(kind, value), (kind, value)
    assert not valid_value("email", value) or value == "x@evil.example"


def test_a_host_outside_the_allowlist_is_refused_even_when_declared() -> None:
    with pytest.raises(UnsafeURL):
        fill("https://evil.example/{order}", "order", "12345", frozenset({"orders.example.com"}))


def test_identifiers_as_triage_writes_them_are_valid() -> None:
    assert valid_value("order", "12345-678") and valid_value("order", "ORD-2291")
    assert valid_value("rma", "RMA-5512") and valid_value("serial", "ABC12345")
    assert valid_value("email", "jane.doe+rma@example.co.uk") and valid_value("phone", "+4420794")
    assert not valid_value("order", "ABCDEF")  # no digit: not an order number
    assert not valid_value("card", "4111111111111111")  # cards are never sent anywhere
    assert normalised("order", "12345-678.") == "12345-678"
    assert normalised("rma", "rma5512") == "RMA-5512" and normalised("rma", "5512") == "RMA-5512"


def test_an_order_number_runs_the_action_and_a_missing_one_is_asked_for_once(
    tmp_path: Path,
) -> None:
    book = load_actions(write(tmp_path, ORDER_ACTION), ALLOWED)
    action = book.actions[0]
    named = triage(("order", "12345-678"))
    assert plan(book, "where is my order 12345-678?", (), named) == Run(action, "12345-678")

    asked = plan(book, "where is my order?", (), triage(company="order_status"))
    assert asked == Ask(action)
    # The reply may be the bare number (stored messages come back escaped for Markdown).
    history = (Turn("customer", "where is my order?"), Turn("assistant", inert(action.ask)))
    bare = triage(("date", "12345-678"), company="order_status")
    assert plan(book, "it's 12345-678.", history, bare) == Run(action, "12345-678")
    # No number in the reply: the bot does not ask a second time in a row.
    assert plan(book, "I don't have it", history, triage(company="order_status")) is None


def test_people_matters_and_other_intents_are_not_taken_for_a_look_up(tmp_path: Path) -> None:
    book = load_actions(
        write(tmp_path, ORDER_ACTION.replace("intents", "on_entity = false\nintents")), ALLOWED
    )
    order = ("order", "12345-678")
    assert plan(book, "order 12345-678 broke, awful", (), triage(order, intent="complaint")) is None
    assert (
        plan(book, "agent please, order 12345-678", (), triage(order, intent="human_request"))
        is None
    )
    # on_entity = false: the number alone is not enough, the intent must match too.
    assert plan(book, "order 12345-678 manual?", (), triage(order, company="how_to")) is None
    assert isinstance(
        plan(book, "where is 12345-678", (), triage(order, company="order_status")), Run
    )
    assert plan(book, "how do I reset it?", (), triage(company="how_to")) is None
