"""The customer token a site embedding the widget signs for its own signed-in customer.

The site's backend (never its pages: the secret must stay on the server) makes
`base64url(json) + "." + base64url(HMAC-SHA256(secret, base64url(json)))`, where the JSON
holds the site's own customer id (`sub`), optionally the customer's `name` and `email`, and
an expiry (`exp`, Unix seconds). The secret is `chat.site_token_secret`, shared with the
site; docs/OPERATIONS.md shows the few lines of Python that make one.

The signature covers the encoded text exactly as sent, so no JSON canonical form is needed.
Anything wrong (no secret configured, a bad shape, a forged or tampered signature, an
expired token or one that lives too long) is refused with a reason that names no personal
data: the caller logs it and the customer chats anonymously, never as whoever the token
claims to be.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from app.ground.contact import ContactError, clean_email, clean_name

TOKEN_MAX_CHARS = 2048
SITE_PREFIX = "site:"
_SITE_ID = re.compile(r"[A-Za-z0-9._:@+-]{1,128}")


class TokenRefused(ValueError):
    """A customer token that is not taken; the message says why (and holds no personal data)."""


@dataclass(frozen=True)
class SiteCustomer:
    """Who the site says its customer is."""

    site_id: str
    name: str | None
    email: str | None

    @property
    def identifier(self) -> str:
        """The chat identifier of this site customer: the same on every device, so their
        earlier conversations follow them. A digest, so that the site's id (which may be an
        e-mail address) stays out of Chainlit's identifiers and whatever logs them."""
        digest = hashlib.sha256(f"site-customer:{self.site_id}".encode()).hexdigest()
        return f"{SITE_PREFIX}{digest[:40]}"


def make_site_token(customer: SiteCustomer, secret: str, *, expires: datetime) -> str:
    """A token as a site's backend makes it (for the demo, tests and the docs' recipe)."""
    claims: dict[str, object] = {"sub": customer.site_id, "exp": int(expires.timestamp())}
    if customer.name:
        claims["name"] = customer.name
    if customer.email:
        claims["email"] = customer.email
    body = _encode(json.dumps(claims, separators=(",", ":")).encode())
    return f"{body}.{_signature(body, secret)}"


def read_site_token(token: str, secret: str, *, now: datetime, max_age_s: int) -> SiteCustomer:
    """The customer a correctly signed, unexpired token names; TokenRefused otherwise."""
    if not secret:
        raise TokenRefused("site tokens are off (chat.site_token_secret is not set)")
    if len(token) > TOKEN_MAX_CHARS:
        raise TokenRefused(f"token longer than {TOKEN_MAX_CHARS} characters")
    body, dot, signature = token.partition(".")
    if not dot or not body or not signature:
        raise TokenRefused("not a token (expected payload.signature)")
    if not hmac.compare_digest(_signature(body, secret), signature):
        raise TokenRefused("bad signature")
    claims = _claims(body)
    expires = claims.get("exp")
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise TokenRefused("no expiry (exp, in Unix seconds)")
    moment = now.timestamp()
    if expires <= moment:
        raise TokenRefused("expired")
    if expires > moment + max_age_s:
        raise TokenRefused(f"expiry more than {max_age_s} s ahead (chat.site_token_max_age_s)")
    site_id = claims.get("sub")
    if not isinstance(site_id, str) or not _SITE_ID.fullmatch(site_id):
        raise TokenRefused("sub must be 1-128 letters, digits or ._:@+-")
    try:
        name = _optional(claims, "name", clean_name)
        email = _optional(claims, "email", clean_email)
    except ContactError as error:
        raise TokenRefused(f"unusable name or email ({error})") from None
    return SiteCustomer(site_id=site_id, name=name, email=email)


def _claims(body: str) -> dict[str, object]:
    try:
        claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError):  # JSONDecodeError and UnicodeDecodeError included
        raise TokenRefused("payload is not base64url-encoded JSON") from None
    if not isinstance(claims, dict):
        raise TokenRefused("payload is not a JSON object")
    return claims


def _optional(claims: dict[str, object], key: str, clean: Callable[[str], str]) -> str | None:
    value = claims.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ContactError(f"{key} is not a string")
    return clean(value)


def _signature(body: str, secret: str) -> str:
    return _encode(hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest())


def _encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")
