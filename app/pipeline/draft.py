"""One turn's answer while it is being made: what is known so far, and the time each step took.

Every way a turn ends (handoff, small talk, abstention, a question back, an answer) turns the
same draft into an `Answer`, so each carries the intent, the retrieval, the triage and the
timings, whichever step it stopped at.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from app.pipeline.conversation import ResolvedMessage
from app.pipeline.retrieval import RetrievedPassage
from app.pipeline.triage import Triage
from app.pipeline.types import (
    Answer,
    AnswerKind,
    Citation,
    Escalation,
    Route,
    RouteUsage,
    RoutingDecision,
)


@dataclass
class AnswerDraft:
    """What is known about the turn so far, turned into an Answer by `finish`."""

    intent: Route
    resolved: ResolvedMessage
    started: float  # time.perf_counter() when the turn arrived
    triage: Triage | None = None
    retrieved: tuple[RetrievedPassage, ...] = ()
    confidence: float = 0.0
    usage: dict[str, RouteUsage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = self.started

    def mark(self, name: str) -> None:
        """Record the time since the previous mark (or the start) under `name`."""
        now = time.perf_counter()
        self.timings[name] = (now - self._last) * 1000
        self._last = now

    def finish(
        self,
        kind: AnswerKind,
        text: str,
        *,
        citations: tuple[Citation, ...] = (),
        escalation: Escalation | None = None,
        generator: str = "",
        model: str | None = None,
        notice: str | None = None,
        routing: RoutingDecision | None = None,
        clarify_products: tuple[str, ...] = (),
        clarify_options: tuple[str, ...] = (),
    ) -> Answer:
        self.timings["total_ms"] = (time.perf_counter() - self.started) * 1000
        return Answer(
            kind=kind,
            intent=self.intent,
            text=text,
            citations=citations,
            confidence=self.confidence,
            product=self.resolved.product,
            query=self.resolved.query,
            retrieved=self.retrieved,
            escalation=escalation,
            generator=generator,
            model=model,
            notice=notice,
            routing=routing,
            usage=dict(self.usage),
            clarify_products=clarify_products,
            clarify_options=clarify_options,
            timings_ms=dict(self.timings),
            triage=self.triage,
        )
