"""The Content-Security-Policy every response of the app carries.

One policy for the pages that have none of their own (the chat, Chainlit's pages and files,
the search page, the operators' routes): scripts, styles, fonts, images and connections from
the app's own origin only, so that nothing a customer, a source or the model wrote can load
from or send to another site, even if it got past the rendering. Pages with inline scripts
(the widget demo) add their nonce; the console sets its own, stricter policy, which is kept.

Styles may be inline because the chat's React components set them at run time; a `data:`
style sheet is the widget's empty font sheet (app/chat/ui_files.py).
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "Content-Security-Policy"


def policy(nonce: str | None = None) -> str:
    """The app's policy; with `nonce`, inline scripts carrying it may run too."""
    scripts = f"'self' 'nonce-{nonce}'" if nonce else "'self'"
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline' data:; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
        "media-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'"
    )


class ContentSecurityPolicy:
    """ASGI middleware: adds `policy()` to every HTTP response that does not set one."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._header = (HEADER.lower().encode("latin-1"), policy().encode("latin-1"))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return

        async def send_with_policy(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == self._header[0] for name, _ in headers):
                    headers.append(self._header)
                    message = {**message, "headers": headers}
            await send(message)

        await self._app(scope, receive, send_with_policy)
