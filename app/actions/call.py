"""One call to a company system, and what of its answer may be shown.

The call has a deadline for the whole exchange (httpx's timeouts are per phase: a server that
drips its answer byte by byte would outlast them), follows no redirect (a 3xx is a failed
call: a redirect could name any host), reads at most the configured number of bytes and
takes only a JSON object. Only the fields the action lists in `show` are read from it, as
short single-line text; everything else the system sent is dropped unseen.
"""

from __future__ import annotations

import asyncio
import json
import re
from dataclasses import dataclass, field
from typing import Any, Literal

import httpx

from app.actions.config import ActionSpec

Outcome = Literal["answered", "asked", "not_found", "error", "timeout"]
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_FIELD_CHARS = 200  # a longer field is cut: an answer is a sentence, not a document


@dataclass(frozen=True)
class CallResult:
    """What came back: the outcome, the HTTP status (None when no answer came) and the fields
    that may be shown (only for "answered")."""

    outcome: Outcome
    status: int | None
    fields: dict[str, str] = field(default_factory=dict)
    problem: str = ""  # why it failed, for the log (never shown to the customer)


async def call(
    client: httpx.AsyncClient,
    action: ActionSpec,
    url: str,
    headers: dict[str, str],
    *,
    max_bytes: int,
) -> CallResult:
    """Call `url` as `action` declares; never raises for the system's failures."""
    try:
        async with asyncio.timeout(action.timeout_s):
            return await _exchange(client, action, url, headers, max_bytes)
    except TimeoutError:
        return CallResult("timeout", None, problem=f"no answer within {action.timeout_s:g} s")
    except httpx.TimeoutException:
        return CallResult("timeout", None, problem="timed out")
    except httpx.HTTPError as exc:
        return CallResult("error", None, problem=type(exc).__name__)


async def _exchange(
    client: httpx.AsyncClient,
    action: ActionSpec,
    url: str,
    headers: dict[str, str],
    max_bytes: int,
) -> CallResult:
    async with client.stream(action.method, url, headers=headers) as response:
        status = response.status_code
        if status == 404:
            return CallResult("not_found", status, problem="404")
        if not 200 <= status < 300:
            return CallResult("error", status, problem=f"HTTP {status}")
        body = bytearray()
        async for chunk in response.aiter_bytes():
            body += chunk
            if len(body) > max_bytes:
                return CallResult("error", status, problem=f"answer over {max_bytes} bytes")
    try:
        document = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return CallResult("error", status, problem="answer is not JSON")
    if not isinstance(document, dict):
        return CallResult("error", status, problem="answer is not a JSON object")
    fields = shown_fields(document, action.show)
    # A listed field the answer does not use may be absent; one it uses may not: the customer
    # would read "{eta}" or a sentence with a hole.
    missing = [f for f in action.show if f not in fields and "{" + f + "}" in action.answer]
    if missing:
        return CallResult("error", status, problem=f"answer lacks {', '.join(missing)}")
    return CallResult("answered", status, fields)


def shown_fields(document: dict[str, Any], show: tuple[str, ...]) -> dict[str, str]:
    """The listed fields (dotted paths into objects) that hold a plain value, as short text."""
    fields: dict[str, str] = {}
    for path in show:
        value: Any = document
        for key in path.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, bool):
            fields[path] = "yes" if value else "no"
        elif isinstance(value, str | int | float) and value != "":
            text = _CONTROL.sub(" ", str(value)).strip()
            fields[path] = text if len(text) <= _FIELD_CHARS else text[: _FIELD_CHARS - 1] + "…"
    return fields


def render(template: str, values: dict[str, str]) -> str:
    """`template` with each {name} replaced by its value (plain substitution: no format
    mini-language, no attribute lookups)."""
    return re.sub(r"\{([^{}]*)\}", lambda m: values.get(m.group(1), m.group()), template)
