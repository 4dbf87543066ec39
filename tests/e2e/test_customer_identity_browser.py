"""Who the customer is, in Chromium: a site page passes its signed customer token to the
widget loader and the customer is signed in as the site's customer (not asked the pre-chat
form); on the full chat page an unknown customer fills in the pre-chat form in the chat's own
input, then asks their question."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import create_engine, text

from app.chat.site_token import SiteCustomer, make_site_token
from app.db.models import utc_now
from tests.integration.chat_server import serve, write_access_point_corpus

SECRET = "shared with the site's backend"
ANA = SiteCustomer(site_id="cust-4711", name="Ana Silva", email="ana@example.com")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = write_access_point_corpus(tmp_path_factory.mktemp("who-data"), starter="Reset an AP")
    home = tmp_path_factory.mktemp("who-home")
    env = {"SUPPORTBOT_CHAT__SITE_TOKEN_SECRET": SECRET, "SUPPORTBOT_CHAT__PRECHAT_FORM": "true"}
    with serve(home, data, **env) as base:
        yield base, home


def _site_page(page: Page, base: str, token: str) -> None:
    """A stand-in for the company's page (served by the test, named as such), embedding the
    widget with the token its backend made."""
    html = f"""<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shop</title>
</head><body><h1>Larkspur shop</h1><script src="/chat/public/widget.js"></script><script>
window.mountSupportWidget({{chainlitServer: {json.dumps(base + "/chat")},
customerToken: {json.dumps(token)}}});</script></body></html>"""

    def fulfil(route: Route) -> None:
        route.fulfill(status=200, content_type="text/html", body=html)

    page.route(f"{base}/shop", fulfil)
    page.goto(f"{base}/shop")


def _contact(home: Path) -> list[tuple[str | None, ...]]:
    engine = create_engine(f"sqlite:///{home / 'supportbot.db'}")
    try:
        with engine.connect() as connection:
            query = text(
                "select contact_name, contact_email, profile_source from sb_customers"
                " where contact_name is not null order by contact_name"
            )
            return [tuple(row) for row in connection.execute(query)]
    finally:
        engine.dispose()


def test_the_widget_signs_in_the_sites_customer_from_its_token(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, home = served
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    _site_page(page, base, make_site_token(ANA, SECRET, expires=utc_now() + timedelta(minutes=5)))
    page.locator("#chainlit-copilot-button").click(timeout=30_000)
    box = page.locator("#chat-input")
    expect(box).to_be_editable(timeout=30_000)
    box.fill("How do I mount the AP-1?")
    page.locator("#chat-submit").click()
    expect(page.get_by_text("bracket").first).to_be_visible(timeout=30_000)
    expect(page.get_by_text("may I have your name")).to_have_count(0)  # known: not asked
    assert ("Ana Silva", "ana@example.com", "site") in _contact(home)
    assert errors == []
    page.close()


def test_an_unknown_customer_fills_in_the_pre_chat_form_then_asks(
    served: tuple[str, Path], browser: Browser
) -> None:
    base, home = served
    page = browser.new_page()
    page.goto(f"{base}/chat/")
    expect(page.get_by_text("may I have your name")).to_be_visible(timeout=30_000)
    box = page.locator("#chat-input")
    for answer, reply in (
        ("Bea Keller", "And your e-mail address"),
        ("bea at example", "doesn't look like an e-mail address"),
        ("bea@example.org", "How can I help you today?"),
    ):
        expect(box).to_be_editable(timeout=30_000)
        box.fill(answer)
        page.locator("#chat-submit").click()
        expect(page.get_by_text(reply).first).to_be_visible(timeout=30_000)
    expect(box).to_be_editable(timeout=30_000)
    box.fill("How long do I hold the reset button on the AP-1?")
    page.locator("#chat-submit").click()
    expect(page.get_by_text("10 seconds").first).to_be_visible(timeout=30_000)
    assert ("Bea Keller", "bea@example.org", "form") in _contact(home)
    page.close()
