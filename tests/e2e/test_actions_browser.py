"""Actions in a real browser: a customer asks the chat for an order's status and reads it from
a stand-in for the company's order API (tests/integration/company_api.py); with the order
system failing, the chat says so and offers a person."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.integration import company_api
from tests.integration.chat_server import free_port, serve, write_access_point_corpus
from tests.integration.company_api import stand_in_api


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = write_access_point_corpus(tmp_path_factory.mktemp("actions-browser"), starter="Reset")
    home = tmp_path_factory.mktemp("actions-browser-home")
    with stand_in_api() as company:
        (data / "actions.toml").write_text(
            company_api.actions_toml(company, down_port=free_port()), encoding="utf-8"
        )
        env = {
            "SUPPORTBOT_ACTIONS__ALLOWED_HOSTS": f'["{company.host}"]',
            "SUPPORTBOT_ACTIONS__AUTH": '{"orders": "Bearer browser-test"}',
        }
        with serve(home, data, **env) as base:
            yield base


def _ask(page: Page, question: str) -> None:
    box = page.locator("#chat-input")
    expect(box).to_be_editable(timeout=30_000)
    box.fill(question)
    page.locator("#chat-submit").click()


def test_a_customer_sees_their_order_status_and_a_failure_offers_a_person(
    chat_url: str, browser: Browser
) -> None:
    page = browser.new_page()
    page.goto(f"{chat_url}/chat/")
    expect(page.get_by_text("Reset").first).to_be_visible(timeout=30_000)

    _ask(page, "Where is my order 12345-678?")
    status = page.locator(".ai-message").filter(has_text="From our order system").last
    expect(status).to_be_visible(timeout=30_000)
    expect(status).to_contain_text("shipped, with ParcelPost, expected on 2026-12-11")
    page.wait_for_timeout(500)  # a reply's buttons come with its final update
    person = page.get_by_role("button", name="Talk to a person")
    expect(person).to_have_count(0)  # an answer from the order system needs no person

    _ask(page, f"And order {company_api.UNAVAILABLE}?")
    failed = page.locator(".ai-message").filter(has_text="couldn't get an answer").last
    expect(failed).to_be_visible(timeout=30_000)
    expect(person.last).to_be_visible()
    page.close()
