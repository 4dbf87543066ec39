"""Who a chat customer is, without asking them to sign up.

A browser gets a random customer id in a signed, HTTP-only cookie on its first visit; the
chat's login callback trusts only a correctly signed id. That is what makes conversations
belong to someone, so they can be listed and resumed after a reload, and what keeps one
customer from opening another's conversations. A site embedding the widget instead mints a
chat token for its own logged-in customer (see `widget_token`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from pathlib import Path

from app.ground.config import Settings

COOKIE_NAME = "sb_customer"
CUSTOMER_PREFIX = "customer:"


def chat_secret(settings: Settings) -> str:
    """The configured secret, else one generated once and kept in SUPPORTBOT_HOME."""
    configured = settings.chat.secret.get_secret_value()
    if configured:
        return configured
    path = settings.home / "chat-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48), encoding="utf-8")
        path.chmod(0o600)
    return Path(path).read_text(encoding="utf-8").strip()


def new_customer_cookie(secret: str) -> str:
    return sign(uuid.uuid4().hex, secret)


def sign(customer_id: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), customer_id.encode(), hashlib.sha256).hexdigest()
    return f"{customer_id}.{digest[:32]}"


def verify(cookie: str | None, secret: str) -> str | None:
    """The customer id in a cookie, or None when it is missing or not signed by us."""
    if not cookie or "." not in cookie:
        return None
    customer_id, _ = cookie.split(".", 1)
    if not customer_id.isalnum() or len(customer_id) > 64:
        return None
    return customer_id if hmac.compare_digest(sign(customer_id, secret), cookie) else None


def identifier(customer_id: str) -> str:
    """The chat user identifier of a customer (what conversations are stored under)."""
    return f"{CUSTOMER_PREFIX}{customer_id}"
