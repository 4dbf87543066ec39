"""The whole complaint loop in real browsers (issue 4 item 7): a customer complains in the chat
widget, the escalation shows up live in the agent console, the agent claims it and replies,
the reply is pushed into the customer's chat, the agent resolves and the bot answers again.

Two browser contexts on one Debian Chromium (Playwright) against `supportbot serve` in a
subprocess, on SQLite (one app process, in-process bus). The console forbids eval (CSP), so
its pages are only driven with locators and `expect`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import (
    Browser,
    expect,
)

from tests.e2e.pages import AGENT_PASSWORD, WAIT, Watch, console_login, open_widget, say
from tests.integration.chat_server import create_agent, serve, write_access_point_corpus

COMPLAINT = "This is ridiculous, my AP-2 has dropped the connection all week. Order 55123. Useless!"
QUEUED = "I've passed this conversation to our support team"
PLACE = "You're next in the queue"
WHILE_WAITING = "Also, the LED on my AP-2 blinks amber."
ADDED = "Thanks, that's added to your request for our support team."
JOINED = "Ana from our support team has joined the conversation."
AGENT_REPLY = "Hi, this is Ana. Let's sort this out: see https://support.larkspur.example/rma."
RMA_LINK = "https://support.larkspur.example/rma"
HOSTILE = "Still down since Monday <img src=x onerror=alert(1)> see above"
RESOLVED = "Ana has marked this conversation as resolved"
QUESTION = "How long do I hold the reset button on the AP-2?"
CSAT_COMMENT = "Ana was quick and kind, thank you."


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on SQLite with the access-point corpus, and one agent, Ana."""
    data = write_access_point_corpus(tmp_path_factory.mktemp("handoff-data"), starter="Reset")
    home = tmp_path_factory.mktemp("handoff-home")
    with serve(home, data) as base:
        create_agent(home, data, "ana", AGENT_PASSWORD, name="Ana")
        create_agent(home, data, "sam", AGENT_PASSWORD, name="Sam", role="supervisor")
        yield base


def test_complaint_escalates_agent_replies_live_resolves_and_bot_answers_again(
    served: str, browser: Browser
) -> None:
    base = served
    customer_context = browser.new_context()
    agent_context = browser.new_context()
    supervisor_context = browser.new_context()
    try:
        # The agent watches the (empty) queue before anything happens.
        console = console_login(agent_context, base)
        console_watch = Watch(console)
        expect(console.locator("tr.queue-item")).to_have_count(0)

        # The customer complains in the widget: the bot answers, flags it, and says a person
        # will reply.
        chat = open_widget(customer_context, base)
        chat_watch = Watch(chat)
        say(chat, COMPLAINT)
        expect(
            chat.locator(".ai-message").filter(has_text="flagged this conversation")
        ).to_be_visible(timeout=WAIT)
        expect(chat.get_by_text(QUEUED)).to_be_visible(timeout=WAIT)
        expect(chat.get_by_text(QUEUED)).to_contain_text(PLACE)
        # The widget lists the sources in the answer (no panel pops up over the page).
        expect(chat.get_by_text("Sources:").first).to_be_visible()
        expect(chat.get_by_role("button", name="Close")).to_have_count(0)

        # The escalation appears in the open queue without a reload.
        loads = len(console_watch.navigations)
        row = console.locator("tr.queue-item")
        expect(row).to_have_count(1, timeout=WAIT)
        expect(row).to_have_attribute("data-reason", "complaint")
        expect(row).to_have_attribute("data-state", "queued")
        assert len(console_watch.navigations) == loads, "the queue reloaded instead of updating"
        conversation_id = row.get_attribute("data-conversation-id")
        assert conversation_id

        # The agent opens it: the brief has the complaint and the order number.
        row.locator("a.open-conversation").click()
        expect(console.locator("body")).to_have_attribute("data-page", "conversation")
        expect(console.locator("#live-region")).to_have_attribute(
            "data-conversation-id", conversation_id
        )
        expect(console.locator("#live-status")).to_have_text("live", timeout=WAIT)
        expect(console.locator("#state")).to_have_attribute("data-state", "queued")
        expect(console.locator("#summary")).to_contain_text("dropped the connection all week")
        expect(console.locator("li.entity[data-kind=order]")).to_contain_text("55123")
        expect(console.locator(".message[data-role=customer] > .message-text").first).to_have_text(
            COMPLAINT
        )

        # While waiting, what the customer adds is acknowledged with their place, and the
        # agent reading the conversation sees it arrive.
        say(chat, WHILE_WAITING)
        expect(chat.get_by_text(ADDED)).to_be_visible(timeout=WAIT)
        expect(chat.get_by_text(ADDED)).to_contain_text(PLACE)
        expect(
            console.locator(".message[data-role=customer] > .message-text").filter(
                has_text=WHILE_WAITING
            )
        ).to_have_count(1, timeout=WAIT)

        # Claim: the customer is told a person joined.
        with console.expect_navigation(timeout=WAIT):  # the form posts, then comes back
            console.locator("#action-claim").click()
        expect(console.locator("#state")).to_have_attribute("data-state", "assigned", timeout=WAIT)
        expect(chat.get_by_text(JOINED)).to_be_visible(timeout=WAIT)

        # Reply: pushed into the customer's open chat.
        console.locator("#reply-text").fill(AGENT_REPLY)
        with console.expect_navigation(timeout=WAIT):
            console.locator("#reply-send").click()
        expect(console.locator(".message-text").filter(has_text=AGENT_REPLY)).to_have_count(
            1, timeout=WAIT
        )
        expect(chat.get_by_text(AGENT_REPLY)).to_be_visible(timeout=WAIT)
        # Her link works as written, and her reply has her icon, not the bot's avatar.
        link = chat.locator(f'a[href="{RMA_LINK}"]')
        expect(link).to_have_text(RMA_LINK)
        ana_says = chat.locator(".ai-message").filter(has_text=AGENT_REPLY)
        expect(ana_says.locator("svg.lucide-headset")).to_have_count(1)

        # While Ana has it, a customer message reaches the console live (no reload) and the
        # bot keeps quiet. Its markup stays text in the console.
        expect(console.locator("#live-status")).to_have_text("live", timeout=WAIT)
        answers_before = chat.locator(".ai-message").count()
        loads = len(console_watch.navigations)
        say(chat, HOSTILE)
        hostile = console.locator(".message[data-role=customer] > .message-text").filter(
            has_text="Still down since Monday"
        )
        expect(hostile).to_have_count(1, timeout=WAIT)
        expect(hostile).to_have_text(HOSTILE)
        assert len(console_watch.navigations) == loads, "the conversation reloaded"
        assert console.locator("#transcript img").count() == 0
        assert console.locator("img[src=x]").count() == 0
        # The console stores it after deciding not to answer: a bot answer would be here by now.
        expect(chat.locator(".ai-message")).to_have_count(answers_before)
        expect(chat.get_by_text(HOSTILE)).to_be_visible()
        assert chat.locator("img[src=x]").count() == 0

        # Resolve: the customer is told, and the bot answers again.
        with console.expect_navigation(timeout=WAIT):
            console.locator("#action-resolve").click()
        expect(console.locator("#state")).to_have_attribute("data-state", "bot", timeout=WAIT)
        expect(chat.get_by_text(RESOLVED)).to_be_visible(timeout=WAIT)
        expect(console.locator("#live-status")).to_have_text("live", timeout=WAIT)
        loads = len(console_watch.navigations)
        say(chat, QUESTION)
        # The complaint's answer already quoted the 25 seconds: this is a second answer.
        expect(chat.locator(".ai-message").filter(has_text="25 seconds")).to_have_count(
            2, timeout=WAIT
        )

        # The console's transcript (updated live) is the stored conversation, in order.
        answers = console.locator(".message[data-role=assistant] > .message-text")
        expect(answers).to_have_count(2, timeout=WAIT)
        expect(answers.last).to_contain_text("25 seconds")
        assert len(console_watch.navigations) == loads
        turns = [
            (message.get_attribute("data-role"), message.locator(".message-text").inner_text())
            for message in console.locator("#transcript > .message").all()
        ]
        roles = [role for role, _ in turns]
        assert roles == [
            "customer", "assistant", "system",  # complaint, answer + flag, queued notice
            "customer", "system",               # added while waiting, acknowledged
            "system", "agent", "customer",      # Ana joined, her reply, the customer (no bot)
            "system", "customer", "assistant",  # resolved, the question, the bot's answer
        ], turns  # fmt: skip
        assert turns[3][1] == WHILE_WAITING and ADDED in turns[4][1]
        assert turns[6][1] == AGENT_REPLY and turns[7][1] == HOSTILE
        assert QUEUED in turns[2][1] and JOINED in turns[5][1] and RESOLVED in turns[8][1]

        # The customer rates the team's help under the resolved notice, 4 of 5, and adds a
        # comment, which goes to the team and is not answered by the bot.
        rating = chat.get_by_role("button", name="4", exact=True)
        expect(rating).to_be_visible(timeout=WAIT)
        rating.click()
        expect(chat.get_by_text("you rated this conversation 4 out of 5")).to_be_visible(
            timeout=WAIT
        )
        expect(chat.get_by_role("button", name="5", exact=True)).to_have_count(0)
        chat.get_by_role("button", name="Add a comment").click()
        expect(chat.get_by_text("Write your comment in the box below")).to_be_visible(timeout=WAIT)
        say(chat, CSAT_COMMENT)
        expect(chat.get_by_text("your comment is with our support team")).to_be_visible(
            timeout=WAIT
        )
        expect(chat.locator(".ai-message").filter(has_text="25 seconds")).to_have_count(2)

        # The supervisor reads it in the insights, with Ana's part in the work.
        supervisor = console_login(supervisor_context, base, "sam")
        supervisor.goto(f"{base}/console/insights?days=7")
        expect(supervisor.locator("#csat-average")).to_have_attribute("data-average", "4.0000")
        expect(supervisor.locator("tr.agent-figures[data-agent=Ana]")).to_have_attribute(
            "data-resolved", "1"
        )

        assert console_watch.dialogs == [] and chat_watch.dialogs == []
        chat.close()

        # Coming back later: the conversation, with Ana's reply, is in the customer's history.
        page = customer_context.new_page()
        page.goto(f"{base}/chat/")
        thread = page.get_by_text(COMPLAINT).first
        expect(thread).to_be_visible(timeout=WAIT)
        thread.click()
        expect(page.get_by_text(AGENT_REPLY).first).to_be_visible(timeout=WAIT)
        expect(page.get_by_text(JOINED).first).to_be_visible()
        expect(page.get_by_text(RESOLVED).first).to_be_visible()
    finally:
        customer_context.close()
        agent_context.close()
        supervisor_context.close()
