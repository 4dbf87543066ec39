"""What the conversation service needs from the rest of the app, as Protocols.

The service is handed the real objects by the front door that builds it (app/doors/web.py):
the answer pipeline, the look-ups in the company's own systems
(`app.actions.runner.ActionRunner`), the handoff (`app.handoff.service.Handoff`), the chat's
write order (`app.db.chat_writes.ChatWrites`) and the metrics. Naming only the methods it
calls keeps it free of how those are built, lets the metrics stay in app/doors (a domain
package may not import a door), and lets unit tests hand it small fakes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from app.actions.runner import ActionReply
from app.pipeline.answering import AnswerEvent
from app.pipeline.triage import Triage
from app.pipeline.types import Answer, RouteUsage, RoutingDecision, Turn


class Answerer(Protocol):
    """The answer pipeline (app.pipeline.answering.AnswerPipeline)."""

    def triage(self, message: str, history: tuple[Turn, ...] = ()) -> Triage: ...

    def stream(
        self, message: str, history: tuple[Turn, ...] = (), *, triage: Triage | None = None
    ) -> AsyncIterator[AnswerEvent]: ...


class Actions(Protocol):
    """Look-ups in the company's own systems (app.actions.runner.ActionRunner)."""

    async def reply(
        self, message: str, history: tuple[Turn, ...], triage: Triage
    ) -> ActionReply | None: ...


class Outcome(Protocol):
    @property
    def created(self) -> bool:
        """True when the conversation was newly queued for a person."""


class People(Protocol):
    """The handoff to people (app.handoff.service.Handoff), the chat's side of it."""

    async def bot_may_answer(
        self, conversation_id: str, sent_at: datetime | None = None
    ) -> bool: ...

    async def customer_message_arrived(self, conversation_id: str, message_id: str) -> None: ...

    async def record_customer_turn(
        self, conversation_id: str, message_id: str, triage: dict[str, Any], topic: str | None
    ) -> None: ...

    async def failures(self, conversation_id: str) -> int: ...

    async def escalate(self, conversation_id: str, reason: str, detail: str = "") -> Outcome: ...


class TurnStore(Protocol):
    """The chat's writes, in the order of the conversation's (app.db.chat_writes.ChatWrites)."""

    async def take_customer_message(self, step: Mapping[str, Any]) -> bool: ...

    async def record_citations(
        self, thread_id: str, message_id: str, citations: Sequence[dict[str, Any]]
    ) -> None: ...

    async def record_routing(
        self,
        thread_id: str,
        message_id: str,
        decision: RoutingDecision,
        usage: dict[str, RouteUsage],
    ) -> None: ...

    async def settled(self, thread_id: str) -> None: ...

    async def rate_conversation(self, thread_id: str, survey_id: str, rating: int) -> bool: ...

    async def comment_on_rating(self, thread_id: str, survey_id: str, text: str) -> bool: ...


class FirstTokenClock(Protocol):
    def text(self) -> None:
        """A piece of answer is about to be shown (the first one stops the clock)."""


class Recorder(Protocol):
    """What the service counts (app.doors.metrics.Metrics is the real one)."""

    def observe_answer(self, answer: Answer) -> None: ...

    def first_token_clock(self) -> FirstTokenClock: ...

    def count_escalation(self, reason: str) -> None: ...

    def count_feedback(self, value: int) -> None: ...


class _StoppedClock:
    def text(self) -> None:
        return None


class NoRecorder:
    """A Recorder that records nothing (tools and tests that keep no metrics)."""

    def observe_answer(self, answer: Answer) -> None:  # noqa: ARG002
        return None

    def first_token_clock(self) -> FirstTokenClock:
        return _StoppedClock()

    def count_escalation(self, reason: str) -> None:  # noqa: ARG002
        return None

    def count_feedback(self, value: int) -> None:  # noqa: ARG002
        return None
