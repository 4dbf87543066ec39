"""The actions as the conversation service uses them: a turn in, the bot's reply out.

`ActionRunner.reply` plans (match.py), builds the URL from the validated identifier
(values.py), calls (call.py) and words the reply: the answer names its source ("From our
order system: ..."); a failure says honestly that the look-up did not work and offers a
person. Every call is logged, with the URL's identifier replaced by its kind ("[order]") so
the log carries no customer data, and reported to `observe` (the metrics) by action and
outcome with its duration.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from app.actions.call import CallResult, Outcome, call, render
from app.actions.config import ActionBook, ActionSpec
from app.actions.match import Ask, plan
from app.actions.values import UnsafeURL, fill, valid_value
from app.ground.config import ActionsSettings
from app.pipeline.types import Triage, Turn

log = logging.getLogger(__name__)

Observe = Callable[[str, str, float], None]  # (action, outcome, seconds)


@dataclass(frozen=True)
class ActionReply:
    """The bot's reply from an action: `text` to show, and whether to offer a person."""

    action: str
    outcome: Outcome
    text: str
    offer_person: bool


class ActionRunner:
    """Runs the declared actions (see the module docstring); `aclose()` at the end."""

    def __init__(
        self,
        book: ActionBook,
        settings: ActionsSettings,
        observe: Observe | None = None,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._book = book
        self._secrets = {name: secret.get_secret_value() for name, secret in settings.auth.items()}
        self._observe = observe
        # No redirects (a Location header may name any host); no proxy or .netrc from the
        # environment: these are the company's own systems, called directly.
        self._client = client or httpx.AsyncClient(follow_redirects=False, trust_env=False)

    @property
    def book(self) -> ActionBook:
        return self._book

    async def aclose(self) -> None:
        await self._client.aclose()

    async def reply(
        self, message: str, history: tuple[Turn, ...], triage: Triage
    ) -> ActionReply | None:
        """The reply when the turn asks for an action, else None (the pipeline answers)."""
        step = plan(self._book, message, history, triage)
        if step is None:
            return None
        if isinstance(step, Ask):
            self._report(step.action, "asked", 0.0)
            return ActionReply(step.action.name, "asked", step.action.ask, offer_person=False)
        return await self.run(step.action, step.value)

    async def run(self, action: ActionSpec, value: str) -> ActionReply:
        """Call `action` for the identifier `value` and word the reply. A value that is not
        a valid identifier of the action's kind is refused before anything is sent."""
        started = time.perf_counter()
        if not valid_value(action.entity, value, action.pattern):
            result = CallResult("error", None, problem="not a valid identifier: nothing sent")
        else:
            try:
                url = fill(action.url, action.entity, value, self._book.allowed_hosts)
            except UnsafeURL as exc:
                result = CallResult("error", None, problem=f"{exc}: nothing sent")
            else:
                result = await call(
                    self._client,
                    action,
                    url,
                    self._headers(action),
                    max_bytes=self._book.max_response_bytes,
                )
        seconds = time.perf_counter() - started
        log.info(
            "action %s: %s %s -> %s%s in %.0f ms%s",
            action.name,
            action.method,
            action.url.replace("{" + action.entity + "}", f"[{action.entity}]"),
            result.outcome,
            f" (HTTP {result.status})" if result.status is not None else "",
            seconds * 1000,
            f": {result.problem}" if result.problem else "",
        )
        self._report(action, result.outcome, seconds)
        return ActionReply(
            action.name,
            result.outcome,
            _wording(action, value, result),
            offer_person=result.outcome != "answered",
        )

    def _headers(self, action: ActionSpec) -> dict[str, str]:
        headers = {"Accept": "application/json", "User-Agent": "supportbot-actions"}
        if action.auth is not None:
            headers[action.auth_header] = self._secrets[action.auth]
        return headers

    def _report(self, action: ActionSpec, outcome: str, seconds: float) -> None:
        if self._observe is not None:
            self._observe(action.name, outcome, seconds)


def _wording(action: ActionSpec, value: str, result: CallResult) -> str:
    """What the customer reads: the answer with its source, or an honest failure."""
    if result.outcome == "answered":
        sentence = render(action.answer, {**result.fields, action.entity: value})
        return f"From {action.source}: {sentence}"
    if result.outcome == "not_found":
        return (
            f"I looked up {value} in {action.source}, and it has no record of it. Please "
            "check the number; a person from our team can also look into it for you."
        )
    return (
        f"Sorry, I couldn't get an answer from {action.source} just now, so I can't tell "
        "you more myself. A person from our team can look it up for you."
    )
