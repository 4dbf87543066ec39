"""The customer chat in a real browser: Debian's Chromium driven by Playwright, against
`supportbot serve` in a subprocess (the same server the socket.io tests use)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import create_engine, text

from tests.integration.chat_server import serve, write_access_point_corpus

HOSTILE = (
    "<img src=https://evil.example/pixel.png onerror=alert(1)> <script>alert(2)</script> "
    "[click me](javascript:alert(3)) ![x](https://evil.example/x.png) reset AP-1?"
)


# A source carrying active content: it must be shown as text, in answers and in the panel.
HOSTILE_PASSAGE = """# Cable tester

The cable tester checks all eight wires of a patch cable. <script>alert(4)</script>
Press TEST to start <img src="https://evil.example/p.png" onerror="alert(5)"> and read
[the tester manual](javascript:alert(6)) for the LED codes ![diagram](https://evil.example/d.png).
"""


BRAND_COLOUR = "#c0392b"  # rgb(192, 57, 43)
COMPANY_LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 32"><text x="0" y="24">'
    "LARKSPUR-LOGO</text></svg>\n"
)
DISCLAIMER = "Answers come from our manuals [read more](javascript:alert(7)), check before you act."


@pytest.fixture(scope="module")
def chat_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    data = write_access_point_corpus(tmp_path_factory.mktemp("browser-data"), starter="Reset an AP")
    (data / "kb").mkdir()
    (data / "kb" / "cable-tester.md").write_text(HOSTILE_PASSAGE, encoding="utf-8")
    (data / "brand").mkdir()
    (data / "brand" / "logo.svg").write_text(COMPANY_LOGO, encoding="utf-8")
    home = tmp_path_factory.mktemp("browser-home")
    brand = {
        "SUPPORTBOT_BRAND__COLOUR": BRAND_COLOUR,
        "SUPPORTBOT_BRAND__LOGO_FILE": "brand/logo.svg",
        "SUPPORTBOT_BRAND__DISCLAIMER": DISCLAIMER,
    }
    with serve(home, data, **brand) as base:
        yield base, home


def _ask(page: Page, question: str) -> None:
    box = page.locator("#chat-input")
    expect(box).to_be_editable(timeout=30_000)
    box.fill(question)
    page.locator("#chat-submit").click()


def _open_chat(page: Page, base: str) -> None:
    page.goto(f"{base}/chat/")
    # The starters appear once the chat is connected and ready for a message.
    expect(page.get_by_text("Reset an AP")).to_be_visible(timeout=30_000)


def test_ask_open_citation_give_feedback_and_resume_after_reload(
    chat_url: tuple[str, Path], browser: Browser
) -> None:
    base, home = chat_url
    page = browser.new_page()
    _open_chat(page, base)
    _ask(page, "How long do I hold the reset button on the AP-2?")
    answer = page.locator(".ai-message").filter(has_text="25 seconds").last
    expect(answer).to_be_visible(timeout=30_000)

    # The citation opens a panel with the passage and where it comes from.
    answer.locator(".element-link").first.click()
    expect(
        page.get_by_text("AP-2 Access Point Guide > Reset > Factory reset").first
    ).to_be_visible()

    # Thumbs down with a comment.
    page.locator("button:has(svg.lucide-thumbs-down)").last.click()
    page.get_by_placeholder("Your feedback...").fill("needs a picture")
    page.get_by_role("button", name="Submit feedback").click()
    page.wait_for_timeout(1000)

    # After a reload the conversation is in the history and opens with its messages.
    page.reload()
    expect(
        page.get_by_text("How long do I hold the reset button on the AP-2?").first
    ).to_be_visible(timeout=30_000)
    page.get_by_text("How long do I hold the reset button on the AP-2?").first.click()
    expect(page.get_by_text("25 seconds").first).to_be_visible(timeout=30_000)
    page.close()

    engine = create_engine(f"sqlite:///{home / 'supportbot.db'}")
    with engine.connect() as connection:
        rows = list(connection.execute(text("select value, comment from sb_feedback")))
    engine.dispose()
    assert (0, "needs a picture") in rows


def test_hostile_text_never_runs_or_loads(chat_url: tuple[str, Path], browser: Browser) -> None:
    base, _home = chat_url
    page = browser.new_page()
    dialogs: list[str] = []
    remote: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.on(
        "request", lambda request: remote.append(request.url) if "evil" in request.url else None
    )
    _open_chat(page, base)
    _ask(page, HOSTILE)
    expect(page.locator(".ai-message").filter(has_text="Hold the reset button").last).to_be_visible(
        timeout=30_000
    )
    page.wait_for_timeout(1000)
    # A passage with active content, quoted in the answer and opened in its panel.
    _ask(page, "How does the cable tester check a patch cable?")
    answer = page.locator(".ai-message").filter(has_text="eight wires").last
    expect(answer).to_be_visible(timeout=30_000)
    answer.locator(".element-link").first.click()
    expect(page.get_by_text("Cable tester").first).to_be_visible()
    page.wait_for_timeout(1000)
    assert dialogs == [] and remote == []
    assert page.locator("img[src*='evil']").count() == 0
    assert page.locator("a[href^='javascript']").count() == 0
    assert page.locator("script:has-text('alert')").count() == 0
    page.close()


def test_widget_demo_mounts_the_chat_and_answers(
    chat_url: tuple[str, Path], browser: Browser
) -> None:
    base, _home = chat_url
    page = browser.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{base}/widget-demo")
    button = page.locator("#chainlit-copilot-button")
    expect(button).to_be_visible(timeout=30_000)
    button.click()
    box = page.locator("#chat-input")
    expect(box).to_be_editable(timeout=30_000)
    box.fill("How do I mount the AP-1?")
    page.locator("#chat-submit").click()
    expect(page.get_by_text("bracket").first).to_be_visible(timeout=30_000)
    # Sources are listed in the answer with where they are; no panel covers the widget.
    sources = page.locator(".ai-message").filter(has_text="Sources:")
    expect(sources).to_contain_text("[1] AP-1 Access Point Guide", timeout=30_000)
    expect(sources).to_contain_text("https://support.example.com/manuals/ap-1")
    expect(page.get_by_role("button", name="Close")).to_have_count(0)
    assert errors == []
    page.close()


def test_the_widget_wears_the_companys_brand(chat_url: tuple[str, Path], browser: Browser) -> None:
    """Colour, logo and disclaimer come from settings; nothing of Chainlit's own branding."""
    base, _home = chat_url
    page = browser.new_page()
    page.goto(f"{base}/widget-demo")
    button = page.locator("#chainlit-copilot-button")
    expect(button).to_be_visible(timeout=30_000)
    colour = button.evaluate("b => getComputedStyle(b).backgroundColor")
    channels = [int(c) for c in colour[colour.index("(") + 1 : colour.index(")")].split(",")[:3]]
    assert all(abs(a - b) <= 6 for a, b in zip(channels, (192, 57, 43), strict=True)), colour
    button.click()
    expect(page.locator("#chat-input")).to_be_editable(timeout=30_000)
    # The disclaimer under the input, as plain text: its Markdown link is no link.
    expect(page.get_by_text("Answers come from our manuals").first).to_be_visible()
    assert page.locator("a[href^='javascript']").count() == 0
    assert "LLMs can make mistakes" not in page.content()
    assert "LARKSPUR-LOGO" in httpx.get(f"{base}/chat/logo?theme=light", timeout=10).text
    assert "LARKSPUR-LOGO" in httpx.get(f"{base}/chat/logo?theme=dark", timeout=10).text
    page.close()
