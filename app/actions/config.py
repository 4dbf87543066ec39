"""`actions.toml`: the HTTP look-ups the bot may make in the company's own systems.

Each `[[action]]` says what triggers it (the company's intents from intents.toml, and/or the
identifier named in the message), the identifier it needs, the call (method, URL template,
auth secret's name, timeout), which fields of the JSON answer may be shown and the sentence
they fill. The checks that need no network happen here, at start: a malformed file stops the
app with a message naming the file, the action and what is wrong; an action whose host is
not allowlisted in the settings, or whose auth secret is not set, stays off with a warning
(a copied demo file never calls anything). A missing file means no actions.
"""

from __future__ import annotations

import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from app.actions.values import KINDS, allowed_host, host_key
from app.ground.config import ActionsSettings

log = logging.getLogger(__name__)

_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
_FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_ASKS = {
    "order": "What is your order number? You'll find it in your order confirmation e-mail.",
    "serial": "What is the serial number of your device? It is on the label underneath.",
    "rma": "What is your RMA number? It is in the e-mail that confirmed your return.",
    "ticket": "What is your ticket number?",
    "email": "Which e-mail address did you use?",
    "phone": "Which phone number did you give us?",
}


@dataclass(frozen=True)
class ActionSpec:
    """One declared action, checked (see the module docstring)."""

    name: str
    source: str  # how the answer names where it came from: "our order system"
    entity: str  # the kind of identifier the URL takes (app.actions.values.KINDS)
    intents: tuple[str, ...]  # company intents that run it (and ask for a missing identifier)
    on_entity: bool  # naming the identifier alone runs it
    method: str
    url: str  # with one placeholder, {<entity>}, in its path or query
    auth: str | None  # the name of its header value in the settings' `actions.auth`
    auth_header: str
    timeout_s: float
    show: tuple[str, ...]  # the JSON fields (dotted paths) an answer may show
    answer: str  # the sentence, with {field} and {<entity>} placeholders
    ask: str  # asked when an intent matches and the identifier is missing
    pattern: re.Pattern[str] | None  # the action's own shape of the identifier

    @property
    def host(self) -> str:
        return host_key(urlsplit(self.url.replace("{" + self.entity + "}", "x")))


@dataclass(frozen=True)
class ActionBook:
    """The actions that may run, with the allowlist and secrets they run under."""

    actions: tuple[ActionSpec, ...]
    allowed_hosts: frozenset[str]
    max_response_bytes: int

    def named(self, name: str) -> ActionSpec:
        for action in self.actions:
            if action.name == name:
                return action
        raise KeyError(name)


class ActionsFileError(ValueError):
    """actions.toml is malformed: the message names the file, the action and the problem."""


def load_actions(path: Path, settings: ActionsSettings) -> ActionBook:
    """The usable actions of `path` (none when it is missing); raises ActionsFileError."""
    allowed = frozenset(h.strip().lower() for h in settings.allowed_hosts if h.strip())
    book = ActionBook((), allowed, settings.max_response_bytes)
    if not path.is_file():
        return book
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ActionsFileError(f"{path}: not valid TOML ({exc})") from exc
    entries = data.get("action", [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise ActionsFileError(f"{path}: [[action]] entries expected")
    usable: list[ActionSpec] = []
    for number, entry in enumerate(entries, 1):
        where = f"{path}: action {entry.get('name') or number!s}"
        spec = _spec(entry, settings, where)
        if spec.name in {a.name for a in usable}:
            raise ActionsFileError(f"{where}: the name is used twice")
        if not allowed_host(urlsplit(spec.url.replace("{" + spec.entity + "}", "x")), allowed):
            log.warning(
                "%s is off: its host %s is not in SUPPORTBOT_ACTIONS__ALLOWED_HOSTS",
                where,
                spec.host,
            )
            continue
        if spec.auth is not None and spec.auth not in settings.auth:
            log.warning(
                "%s is off: its auth secret %r is not set in SUPPORTBOT_ACTIONS__AUTH",
                where,
                spec.auth,
            )
            continue
        usable.append(spec)
    return ActionBook(tuple(usable), allowed, settings.max_response_bytes)


def _spec(entry: dict[str, Any], settings: ActionsSettings, where: str) -> ActionSpec:
    def text(key: str, default: str | None = None) -> str:
        value = entry.get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise ActionsFileError(f"{where}: `{key}` must be a non-empty string")
        return value.strip()

    def strings(key: str) -> tuple[str, ...]:
        value = entry.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ActionsFileError(f"{where}: `{key}` must be a list of strings")
        return tuple(value)

    name = text("name")
    if not _NAME.fullmatch(name):
        raise ActionsFileError(f"{where}: the name must be lower case letters, digits, _ or -")
    entity = text("entity")
    if entity not in KINDS:
        raise ActionsFileError(f"{where}: entity {entity!r} is not one of {', '.join(KINDS)}")
    intents, on_entity = strings("intents"), entry.get("on_entity", True)
    if not isinstance(on_entity, bool):
        raise ActionsFileError(f"{where}: `on_entity` must be true or false")
    if not intents and not on_entity:
        raise ActionsFileError(f"{where}: nothing triggers it (no `intents`, on_entity false)")
    method = text("method", "GET").upper()
    if method not in ("GET", "POST"):
        raise ActionsFileError(f"{where}: method must be GET or POST")
    url = _checked_url(text("url"), entity, where)
    show = strings("show")
    for field in show:
        if not _FIELD.fullmatch(field):
            raise ActionsFileError(f"{where}: {field!r} in `show` is not a field name")
    answer = text("answer")
    for placeholder in _PLACEHOLDER.findall(answer):
        if placeholder != entity and placeholder not in show:
            raise ActionsFileError(
                f"{where}: the answer's {{{placeholder}}} is neither in `show` nor {{{entity}}}"
            )
    auth = entry.get("auth")
    if auth is not None and (not isinstance(auth, str) or not auth):
        raise ActionsFileError(f"{where}: `auth` must name a secret in SUPPORTBOT_ACTIONS__AUTH")
    timeout = entry.get("timeout_s", settings.timeout_s)
    if not isinstance(timeout, int | float) or not 0 < timeout <= settings.timeout_s:
        raise ActionsFileError(
            f"{where}: timeout_s must be a number above 0 and at most {settings.timeout_s}"
        )
    return ActionSpec(
        name=name,
        source=text("source"),
        entity=entity,
        intents=intents,
        on_entity=on_entity,
        method=method,
        url=url,
        auth=auth,
        auth_header=text("auth_header", "Authorization"),
        timeout_s=float(timeout),
        show=show,
        answer=answer,
        ask=text("ask", _ASKS[entity]),
        pattern=_pattern(entry.get("pattern"), where),
    )


def _checked_url(url: str, entity: str, where: str) -> str:
    """An http(s) URL whose only placeholder is {<entity>}, outside its scheme and host."""
    placeholders = set(_PLACEHOLDER.findall(url))
    if placeholders != {entity} or url.count("{") != url.count("{" + entity + "}"):
        raise ActionsFileError(f"{where}: the url must hold {{{entity}}} and no other {{...}}")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ActionsFileError(f"{where}: the url must start with http:// or https:// and a host")
    if "{" in parts.netloc or "@" in parts.netloc:
        raise ActionsFileError(f"{where}: the host part of the url is fixed (no {{...}}, no @)")
    try:
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError as exc:
        raise ActionsFileError(f"{where}: the url's port is not a number") from exc
    if parts.fragment:
        raise ActionsFileError(f"{where}: the url has a #fragment")
    return url


def _pattern(value: object, where: str) -> re.Pattern[str] | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise ActionsFileError(f"{where}: `pattern` must be a regular expression string")
    try:
        return re.compile(value, re.ASCII)
    except re.error as exc:
        raise ActionsFileError(f"{where}: `pattern` is not a regular expression ({exc})") from exc
