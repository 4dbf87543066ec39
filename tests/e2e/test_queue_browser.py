"""Outside opening hours, in real browsers: a customer who asks for a person is told when the
team opens and leaves a way to reach them; the conversation waits in the queue, where the next
shift finds it with the contact in its brief.

The app runs with opening hours that are closed now: one hour, three days from today (the
server's real clock; the exact next-shift arithmetic is tested with an injected clock in
tests/integration/test_queue_courtesy.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from playwright.sync_api import Browser, expect

from app.ground.hours import DAYS
from tests.e2e.pages import AGENT_PASSWORD, WAIT, console_login, open_widget, say
from tests.integration.chat_server import create_agent, serve, write_access_point_corpus

ASK = "Can I talk to a person about my AP-2, please?"
CONTACT = "Please e-mail me at sam.lee@example.net, the AP-2 drops Wi-Fi every evening."


def closed_now() -> str:
    day = DAYS[(datetime.now(UTC).weekday() + 3) % 7]
    return f"{day} 10:00-11:00"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = write_access_point_corpus(tmp_path_factory.mktemp("queue-data"), starter="Reset")
    home = tmp_path_factory.mktemp("queue-home")
    hours = {"SUPPORTBOT_HANDOFF__OPENING_HOURS": closed_now()}
    with serve(home, data, **hours) as base:
        create_agent(home, data, "ana", AGENT_PASSWORD, name="Ana")
        yield base


def test_a_message_left_outside_opening_hours_waits_in_the_queue_with_its_contact(
    served: str, browser: Browser
) -> None:
    customer_context, agent_context = browser.new_context(), browser.new_context()
    try:
        chat = open_widget(customer_context, served)
        say(chat, ASK)
        away = chat.get_by_text("Our support team is away right now")
        expect(away).to_be_visible(timeout=WAIT)
        expect(away).to_contain_text(f"we're open {closed_now()}")
        expect(away).to_contain_text("at 10:00 (UTC)")

        say(chat, CONTACT)
        added = chat.get_by_text("Thanks, that's added to your request")
        expect(added).to_be_visible(timeout=WAIT)
        expect(added).to_contain_text("away right now")

        console = console_login(agent_context, served)
        row = console.locator("tr.queue-item")
        expect(row).to_have_count(1, timeout=WAIT)
        row.locator("a.open-conversation").click()
        expect(console.locator("body")).to_have_attribute("data-page", "conversation")
        expect(console.locator("li.entity[data-kind=email]")).to_contain_text(
            "sam.lee@example.net", timeout=WAIT
        )
    finally:
        customer_context.close()
        agent_context.close()


# Test instrumentation, not a fake of ours: headless Chromium shows no system notifications,
# so the agent's page gets a recording Notification (granted) that writes each title into
# the page, where `expect` can read it (the console's CSP forbids evaluating scripts).
RECORDING_NOTIFICATION = """
window.Notification = class {
  constructor(title, options) {
    var said = document.body.getAttribute("data-notified") || "";
    document.body.setAttribute("data-notified", said + title + "|");
  }
  static get permission() { return "granted"; }
  static requestPermission() { return Promise.resolve("granted"); }
};
"""


def test_an_agent_with_alerts_on_is_notified_of_queue_entries_and_their_customers(
    served: str, browser: Browser
) -> None:
    customer_context, agent_context = browser.new_context(), browser.new_context()
    agent_context.add_init_script(RECORDING_NOTIFICATION)
    try:
        console = console_login(agent_context, served)
        toggle = console.locator("#alerts-toggle")
        expect(toggle).to_have_text("Alerts off")
        toggle.click()
        expect(toggle).to_have_attribute("aria-pressed", "true")
        expect(console.locator("#alerts-sound")).to_have_text("Sound on")
        console.reload()  # the choice is kept for this agent
        expect(console.locator("#alerts-toggle")).to_have_text("Alerts on")
        expect(console.locator("#live-status")).to_have_text("live", timeout=WAIT)

        chat = open_widget(customer_context, served)
        say(chat, "I want to speak to a human about my AP-2, please.")
        expect(console.locator("body")).to_have_attribute(
            "data-notified", re.compile(r"New conversation in the queue\|"), timeout=WAIT
        )

        row = console.locator("tr.queue-item").filter(has_text="speak to a human")
        row.locator("a.open-conversation").click()
        expect(console.locator("#live-status")).to_have_text("live", timeout=WAIT)
        with console.expect_navigation(timeout=WAIT):
            console.locator("#action-claim").click()
        expect(console.locator("#live-status")).to_have_text("live", timeout=WAIT)
        say(chat, "It still blinks amber after the reset.")
        expect(console.locator("body")).to_have_attribute(
            "data-notified", re.compile(r"Your customer wrote\|"), timeout=WAIT
        )
    finally:
        customer_context.close()
        agent_context.close()
