"""The agent copilot in a real browser (issue 16 item 2): a supervisor adds a saved reply with
placeholders; a customer complains in the widget; the agent claims the conversation, sends
the saved reply (filled for this customer and order), then has the bot draft a reply, opens
a cited passage, inserts the draft, edits it and sends it; the customer reads both.

One Debian Chromium (Playwright) against `supportbot serve` in a subprocess, on SQLite, with
the access-point corpus; the console's pages are driven with locators and `expect` (its CSP
forbids eval).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.pages import AGENT_PASSWORD, WAIT, Watch, console_login, open_widget, say
from tests.e2e.test_handoff_browser import COMPLAINT, QUEUED
from tests.integration.chat_server import create_agent, serve, write_access_point_corpus

MACRO = "Hi {customer_name}, I'm {agent_name}. I'm looking at order {order_number} now {eta}."
# The widget's customer gave no name; the brief has the order; {eta} is left for the agent.
FILLED = "Hi there, I'm Ana. I'm looking at order 55123 now {eta}."
SENT_MACRO = "Hi there, I'm Ana. I'm looking at order 55123 now."
EDIT = "Sorry for the trouble. "


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on SQLite with the access-point corpus, agent Ana and supervisor Sam."""
    data = write_access_point_corpus(tmp_path_factory.mktemp("copilot-data"), starter="Reset")
    home = tmp_path_factory.mktemp("copilot-home")
    with serve(home, data) as base:
        create_agent(home, data, "ana", AGENT_PASSWORD, name="Ana")
        create_agent(home, data, "sam", AGENT_PASSWORD, name="Sam", role="supervisor")
        yield base


def test_agent_sends_a_saved_reply_and_an_edited_copilot_draft(
    served: str, browser: Browser
) -> None:
    base = served
    customer_context = browser.new_context()
    agent_context = browser.new_context()
    supervisor_context = browser.new_context()
    try:
        # Sam, a supervisor, adds a saved reply with placeholders.
        sam = console_login(supervisor_context, base, "sam")
        sam.locator("#nav-macros").click()
        expect(sam.locator("body")).to_have_attribute("data-page", "macros", timeout=WAIT)
        sam.locator("#macro-title").fill("Order check")
        sam.locator("#macro-text").fill(MACRO)
        with sam.expect_navigation(timeout=WAIT):
            sam.locator("#macro-create-submit").click()
        expect(sam.locator('tr.macro-row[data-title="Order check"]')).to_have_count(1)

        # The customer complains, naming an order: the conversation is queued.
        chat = open_widget(customer_context, base)
        say(chat, COMPLAINT)
        expect(chat.get_by_text(QUEUED)).to_be_visible(timeout=WAIT)

        # Ana claims it; Ana (an agent) has no saved-replies page of her own.
        console = console_login(agent_context, base)
        watch = Watch(console)
        expect(console.locator("#nav-macros")).to_have_count(0)
        row = console.locator("tr.queue-item")
        expect(row).to_have_count(1, timeout=WAIT)
        row.locator("a.open-conversation").click()
        expect(console.locator("body")).to_have_attribute("data-page", "conversation")
        with console.expect_navigation(timeout=WAIT):
            console.locator("#action-claim").click()
        expect(console.locator("#state")).to_have_attribute("data-state", "assigned", timeout=WAIT)

        # The saved reply, filled for this conversation; she fixes the placeholder left open.
        reply = console.locator("#reply-text")
        console.locator("#macro-select").select_option(label="Order check")
        expect(reply).to_have_value(FILLED)
        reply.fill(reply.input_value().replace(" {eta}", ""))
        with console.expect_navigation(timeout=WAIT):
            console.locator("#reply-send").click()
        expect(chat.get_by_text(SENT_MACRO)).to_be_visible(timeout=WAIT)

        # The copilot drafts a reply from the knowledge base, on demand, with its sources.
        loads = len(watch.navigations)
        console.locator("#draft-request").click()
        draft = console.locator("#draft-text")
        expect(draft).to_contain_text("25 seconds", timeout=WAIT)
        expect(console.locator("#draft-for")).to_have_text(COMPLAINT)
        assert len(watch.navigations) == loads, "drafting reloaded the page"
        text = draft.text_content() or ""
        assert "[1]" in text and "Sources:" in text and "flagged this conversation" not in text
        # A cited passage is one click away.
        passage = console.locator("#draft-result li.citation").first
        expect(passage.locator(".citation-snippet")).not_to_be_visible()
        passage.locator("summary").click()
        expect(passage.locator(".citation-snippet")).to_be_visible()
        expect(passage.locator(".citation-snippet")).to_contain_text("25 seconds")

        # Insert, edit, send: the customer reads the edited draft.
        console.locator("#draft-insert").click()
        expect(reply).to_have_value(text)
        reply.press("Control+Home")
        reply.press_sequentially(EDIT)
        expect(reply).to_have_value(EDIT + text)
        with console.expect_navigation(timeout=WAIT):
            console.locator("#reply-send").click()
        sent = console.locator(".message[data-role=agent] > .message-text")
        expect(sent).to_have_count(2, timeout=WAIT)
        expect(sent.last).to_have_text(EDIT + text)
        said = chat.locator(".ai-message").filter(has_text="Sorry for the trouble.")
        expect(said).to_be_visible(timeout=WAIT)
        expect(said).to_contain_text("25 seconds")
        assert watch.dialogs == []
    finally:
        customer_context.close()
        agent_context.close()
        supervisor_context.close()
