"""What the browser tests share: opening the widget, saying something in it, signing in to
the console, and watching a page for dialogs and reloads."""

from __future__ import annotations

from playwright.sync_api import BrowserContext, Dialog, Frame, Page, expect

WAIT = 30_000  # ms: generous, the machine is shared
AGENT_PASSWORD = "a long password 123"


class Watch:
    """What a page did on its own: dialogs (alert) and main-frame navigations (reloads)."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.navigations: list[str] = []
        page.on("dialog", self._dialog)
        page.on("framenavigated", self._navigated)

    def _dialog(self, dialog: Dialog) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _navigated(self, frame: Frame) -> None:
        if frame == self.page.main_frame:
            self.navigations.append(frame.url)


def open_widget(context: BrowserContext, base: str) -> Page:
    page = context.new_page()
    page.goto(f"{base}/widget-demo")
    button = page.locator("#chainlit-copilot-button")
    expect(button).to_be_visible(timeout=WAIT)
    button.click()
    expect(page.locator("#chat-input")).to_be_editable(timeout=WAIT)
    return page


def say(page: Page, text: str) -> None:
    box = page.locator("#chat-input")
    expect(box).to_be_editable(timeout=WAIT)
    box.fill(text)
    submit = page.locator("#chat-submit")
    expect(submit).to_be_enabled(timeout=WAIT)
    submit.click()


def console_login(context: BrowserContext, base: str, username: str = "ana") -> Page:
    page = context.new_page()
    page.goto(f"{base}/console/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(AGENT_PASSWORD)
    page.locator("#login-submit").click()
    expect(page.locator("body")).to_have_attribute("data-page", "queue", timeout=WAIT)
    expect(page.locator("#live-status")).to_have_text("live", timeout=WAIT)
    return page
