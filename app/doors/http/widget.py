"""The customer's identity cookie, and a demo page that embeds the chat as a website widget.

A first visit to the chat (or the demo page) gets a signed, HTTP-only customer cookie
(app.chat.identity): no sign-up. The demo page stands in for a company's site, which would
mint the chat token for its own signed-in user the way `widget_token` does, and embed the
widget the same way: `/chat/public/widget.js` and `mountSupportWidget(...)`, which signs the
customer in before Chainlit's widget starts (see app/chat/static/widget.js for why).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Awaitable, Callable

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from app.chat.identity import COOKIE_NAME, identifier, new_customer_cookie, verify
from app.chat.mount import CHAT_PATH
from app.console import state as app_state
from app.doors.http import csp
from app.ground.config import Settings

router = APIRouter()


def chat_secret_of(request: Request) -> str:
    return app_state.typed(request, "chat_secret", str)


async def give_customers_an_identity(
    request: Request, call_next: Callable[[Request], Awaitable[Response]]
) -> Response:
    """HTTP middleware: the chat's pages get a customer identity when they have none."""
    path = request.url.path
    needs_identity = path.startswith(CHAT_PATH) or path == "/widget-demo"
    # Read before call_next: a mounted app (the chat) puts itself in the request's scope.
    secret, settings = chat_secret_of(request), app_state.settings_of(request)
    has_identity = verify(request.cookies.get(COOKIE_NAME), secret) is not None
    if needs_identity and not has_identity:
        request.state.new_customer = new_customer_cookie(secret)
    response = await call_next(request)
    if needs_identity and not has_identity:
        _set_identity_cookie(response, request, request.state.new_customer, settings)
    return response


@router.get("/widget-demo", response_class=HTMLResponse)
def widget_demo(request: Request) -> HTMLResponse:
    """A stand-in for a customer's website with the chat widget embedded."""
    secret = chat_secret_of(request)
    cookie = request.cookies.get(COOKIE_NAME)
    customer_id = verify(cookie, secret) or verify(request.state.new_customer, secret)
    assert customer_id is not None  # the middleware gave this request an identity
    token = widget_token(customer_id)
    nonce = secrets.token_urlsafe(16)
    page = _WIDGET_PAGE.format(
        nonce=nonce,
        server=json.dumps(str(request.base_url).rstrip("/") + CHAT_PATH),
        token=json.dumps(token),
    )
    return HTMLResponse(page, headers={csp.HEADER: csp.policy(nonce)})


def widget_token(customer_id: str) -> str:
    """A chat token for a customer, as a site embedding the widget would mint for its user."""
    import chainlit as cl
    from chainlit.auth import create_jwt

    return create_jwt(cl.User(identifier=identifier(customer_id), metadata={"role": "customer"}))


def _set_identity_cookie(
    response: Response, request: Request, value: str, settings: Settings
) -> None:
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=settings.chat.login_days * 86400,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


_WIDGET_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>Larkspur Networks — widget demo</title>
<style>body{{font:16px system-ui;max-width:48rem;margin:3rem auto;color:#222}}</style>
</head><body>
<h1>Larkspur Networks</h1>
<p>This page stands in for a company website. The support chat is embedded as a widget:
open it with the button in the bottom corner.</p>
<script src="/chat/public/widget.js"></script>
<script nonce="{nonce}">
window.mountSupportWidget({{chainlitServer: {server}, accessToken: {token}}});
</script>
</body></html>"""
