"""Which identifier values may go into an action's URL, and the URL they make.

The customer's words reach an URL only as one identifier (an order number, a serial...), and
only once it matches its kind's pattern in full (plain ASCII, no separators a URL gives a
meaning to), and the action's own pattern if it declares one. It is then percent-encoded with
nothing left safe (`/`, `?`, `#`, `@`, `%` and line breaks all encoded), and the finished URL
must still have the declared scheme and host, and that host must be allowlisted: three locks,
so that no value whatever can point a call at another host.
"""

from __future__ import annotations

import re
from urllib.parse import SplitResult, quote, urlsplit

# What each kind of identifier looks like, in full, after triage's normalisation
# (app/pipeline/triage/entities.py: order, serial, RMA and ticket numbers in capitals, e-mail
# addresses in lower case, phone numbers as digits). Cards and IBANs are never sent anywhere.
_HAS_DIGIT = r"(?=[^0-9]*[0-9])"
VALUE_PATTERNS: dict[str, re.Pattern[str]] = {
    "order": re.compile(_HAS_DIGIT + r"[A-Z0-9][A-Z0-9-]{2,39}", re.ASCII),
    "serial": re.compile(_HAS_DIGIT + r"[A-Z0-9][A-Z0-9-]{3,39}", re.ASCII),
    "rma": re.compile(_HAS_DIGIT + r"RMA-[A-Z0-9][A-Z0-9-]{0,35}", re.ASCII),
    "ticket": re.compile(_HAS_DIGIT + r"[A-Z0-9][A-Z0-9-]{2,39}", re.ASCII),
    "email": re.compile(
        r"(?=.{3,254}$)[a-z0-9.+_-]{1,64}@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}", re.ASCII
    ),
    "phone": re.compile(r"\+?[0-9]{7,15}", re.ASCII),
}
KINDS = tuple(VALUE_PATTERNS)


class UnsafeURL(ValueError):
    """A filled URL that is not the declared scheme and host, or whose host is not allowed."""


def normalised(kind: str, written: str) -> str:
    """A value as triage would have normalised it (for a bare identifier the customer typed
    in reply to "what is your order number?")."""
    value = written.strip().strip(".,;:!?#\"'()[]<>")
    if kind == "email":
        return value.lower()
    if kind == "phone":
        return ("+" if value.startswith("+") else "") + re.sub(r"[^0-9]", "", value)
    value = value.upper()
    if kind == "rma" and not value.startswith("RMA-"):
        value = "RMA-" + value.removeprefix("RMA").strip("-")
    return value


def valid_value(kind: str, value: str, pattern: re.Pattern[str] | None = None) -> bool:
    """Whether `value` may go into a URL: its kind's pattern and the action's, in full."""
    floor = VALUE_PATTERNS.get(kind)
    if floor is None or floor.fullmatch(value) is None:
        return False
    return pattern is None or pattern.fullmatch(value) is not None


def host_key(parts: SplitResult) -> str:
    """ "host" for the scheme's default port, else "host:port" (how allowlists name hosts)."""
    host = (parts.hostname or "").lower()
    port = parts.port
    default = {"http": 80, "https": 443}.get(parts.scheme)
    return host if port is None or port == default else f"{host}:{port}"


def allowed_host(parts: SplitResult, allowed: frozenset[str]) -> bool:
    return bool(parts.hostname) and host_key(parts) in allowed


def fill(template: str, placeholder: str, value: str, allowed: frozenset[str]) -> str:
    """The template with `value` percent-encoded in place of `{placeholder}`; raises UnsafeURL
    unless the result keeps the template's scheme and host, and that host is allowed."""
    declared = urlsplit(template.replace("{" + placeholder + "}", "x"))
    url = template.replace("{" + placeholder + "}", quote(value, safe=""))
    parts = urlsplit(url)
    if (parts.scheme, parts.netloc) != (declared.scheme, declared.netloc):
        raise UnsafeURL("the filled URL changed its scheme or host")
    if not allowed_host(parts, allowed):
        raise UnsafeURL(f"host {host_key(parts)!r} is not allowlisted")
    return url
