"""Every request a page of the app makes, as Chromium sees them: all to the app's own origin;
and a widget that answers a customer who types the moment it opens.

The widget used to open before it knew who the customer was: its first "who am I" (/user)
raced its sign-in and failed, and the real answer arrived seconds later with the chat's
settings, re-rendering the open chat (React error #310, the message lost). In that window the
customer's text was also shown as Markdown, so a remote image in it was fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, expect

from tests.integration.chat_server import serve, write_access_point_corpus

REMOTE_IMAGE = "How do I reset my AP-1? ![x](https://images.example.net/x.png)"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = write_access_point_corpus(tmp_path_factory.mktemp("origin-data"), starter="Reset an AP")
    with serve(tmp_path_factory.mktemp("origin-home"), data) as url:
        yield url


class Recorder:
    """The page's requests (sockets included), CSP violations and uncaught errors."""

    def __init__(self, page: Page) -> None:
        self.urls: list[str] = []
        self.violations: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.urls.append(request.url))
        page.on("websocket", lambda socket: self.urls.append(socket.url))
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on(
            "console",
            lambda message: (
                self.violations.append(message.text)
                if "Content Security Policy" in message.text
                else None
            ),
        )

    def other_origins(self, base: str) -> list[str]:
        own = urlsplit(base).netloc
        return [
            url
            for url in self.urls
            if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != own
        ]


def _open_widget(page: Page, base: str) -> None:
    page.goto(f"{base}/widget-demo")
    page.locator("#chainlit-copilot-button").click(timeout=30_000)


def _send(page: Page, text: str) -> None:
    """Type and send as soon as the input takes text: no waiting for anything else."""
    box = page.locator("#chat-input")
    expect(box).to_be_editable(timeout=30_000)
    box.fill(text)
    page.locator("#chat-submit").click()


def _settings_loaded(page: Page) -> None:
    """Wait until the chat has fetched its settings (it does once it knows the customer):
    before the fix this came seconds after the first message and crashed the widget."""
    page.wait_for_function(
        "() => performance.getEntriesByType('resource')"
        ".some(entry => entry.name.includes('/chat/project/settings'))",
        timeout=60_000,
    )


def test_no_page_makes_a_request_to_another_origin(base: str, browser: Browser) -> None:
    page = browser.new_page()
    seen = Recorder(page)

    page.goto(f"{base}/chat/")
    expect(page.get_by_text("Reset an AP")).to_be_visible(timeout=30_000)
    _send(page, REMOTE_IMAGE)
    expect(page.locator(".ai-message").filter(has_text="reset button").last).to_be_visible(
        timeout=30_000
    )

    _open_widget(page, base)
    _send(page, REMOTE_IMAGE)
    expect(page.get_by_text("reset button").first).to_be_visible(timeout=30_000)
    _settings_loaded(page)
    expect(page.get_by_text(REMOTE_IMAGE).first).to_be_visible()

    page.goto(f"{base}/console/login")
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()

    assert any("/chat/ws/socket.io" in url for url in seen.urls)  # the recorder saw sockets
    assert seen.other_origins(base) == []
    assert seen.violations == [] and seen.errors == []
    page.close()


@pytest.mark.parametrize("attempt", range(4))
def test_widget_answers_a_message_sent_the_moment_it_opens(
    base: str, browser: Browser, attempt: int
) -> None:
    page = browser.new_page()
    seen = Recorder(page)
    first_user: list[int] = []

    def note_user(request: Request) -> None:
        response = request.response()
        if request.url.endswith("/chat/user") and response is not None and not first_user:
            first_user.append(response.status)

    page.on("requestfinished", note_user)
    question = f"How do I mount the AP-1? (try {attempt})"
    _open_widget(page, base)
    _send(page, question)
    expect(page.get_by_text("bracket").first).to_be_visible(timeout=30_000)
    _settings_loaded(page)
    # The customer's message and the answer are still on screen; nothing crashed.
    expect(page.get_by_text(question).first).to_be_visible()
    expect(page.get_by_text("bracket").first).to_be_visible()
    assert seen.errors == []
    assert first_user == [200]  # the widget knew the customer from its first question
    page.close()


@pytest.mark.parametrize("attempt", range(2))
def test_chat_page_answers_a_message_sent_the_moment_it_opens(
    base: str, browser: Browser, attempt: int
) -> None:
    page = browser.new_page()
    seen = Recorder(page)
    question = f"How do I mount the AP-1? (chat try {attempt})"
    page.goto(f"{base}/chat/")
    _send(page, question)
    expect(page.locator(".ai-message").filter(has_text="bracket").last).to_be_visible(
        timeout=30_000
    )
    _settings_loaded(page)
    expect(page.get_by_text(question).first).to_be_visible()
    assert seen.errors == []
    page.close()
