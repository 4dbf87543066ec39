"""`POST /chat/auth/customer`: a site's signed customer token in, a chat sign-in out.

The widget loader (app/chat/static/widget.js) posts the token the embedding site's backend
made (`Authorization: Bearer <token>`, app/chat/site_token.py) and gets back a Chainlit
access token for the chat. A valid token signs the customer in as the site's customer (the
same chat identity on every device, so earlier conversations follow) and keeps the name and
e-mail it carries on the customer. Anything else is logged as a warning, with the reason and
never the token's content, and answered with an anonymous sign-in (the browser's own customer
cookie, else a fresh identity): the chat still works, and nobody is ever trusted to be whom a
bad token names.

The route lives on Chainlit's own app, so the same CORS rules (`chat.allow_origins`) let
other sites' pages call it as they call Chainlit's sign-in.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from app.chat import runtime
from app.chat.identity import COOKIE_NAME, identifier, verify
from app.chat.site_token import SiteCustomer, TokenRefused, read_site_token
from app.db.customer_profiles import save_profile
from app.db.models import utc_now

log = logging.getLogger(__name__)

LOGIN_PATH = "/auth/customer"  # under the chat's mount point


def install_site_login(chainlit_app: Any) -> None:
    """Put the route first on Chainlit's app (before its catch-all page route)."""
    chainlit_app.router.routes.insert(0, Route(LOGIN_PATH, customer_login, methods=["POST"]))


async def customer_login(request: Request) -> JSONResponse:
    """The chat sign-in for whoever the site's token names, or an anonymous one."""
    chat = runtime.current()
    customer = _site_customer(request.headers.get("authorization", ""))
    if customer is not None:
        await chat.writes.write(f"user:{customer.identifier}", lambda s: _keep(s, customer))
        who = customer.identifier
    else:
        who = _anonymous(request, chat.secret)
    from chainlit.auth import create_jwt
    from chainlit.user import User

    token = create_jwt(User(identifier=who, metadata={"role": "customer"}))
    return JSONResponse(
        {"accessToken": token, "identified": customer is not None},
        headers={"Cache-Control": "no-store"},
    )


def _site_customer(authorization: str) -> SiteCustomer | None:
    settings = runtime.current().settings.chat
    scheme, _, token = authorization.partition(" ")
    try:
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenRefused("no token (expected Authorization: Bearer <token>)")
        return read_site_token(
            token.strip(),
            settings.site_token_secret.get_secret_value(),
            now=utc_now(),
            max_age_s=settings.site_token_max_age_s,
        )
    except TokenRefused as refused:
        log.warning("customer token refused, the customer chats anonymously: %s", refused)
        return None


def _keep(session: Any, customer: SiteCustomer) -> None:
    save_profile(
        session=session,
        identifier=customer.identifier,
        name=customer.name,
        email=customer.email,
        source="site",
        site_customer_id=customer.site_id,
    )


def _anonymous(request: Request, secret: str) -> str:
    """The browser's own customer identity (its signed cookie, or the one the identity
    middleware is giving it with this reply), else a fresh one."""
    for cookie in (request.cookies.get(COOKIE_NAME), getattr(request.state, "new_customer", None)):
        customer_id = verify(cookie, secret)
        if customer_id is not None:
            return identifier(customer_id)
    return identifier(uuid.uuid4().hex)
