"""The one interface every answer generator implements.

A generator receives the question, the conversation and the numbered passages, and streams
answer text in which `[n]` cites passage n. It never retrieves and never decides whether to
answer: the pipeline does both, so every generator is held to the same evidence.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Protocol

from app.pipeline.retrieval import RetrievedPassage
from app.pipeline.types import Route, RouteUsage, RoutingDecision, Turn


@dataclass(frozen=True)
class GenerationRequest:
    question: str
    history: tuple[Turn, ...]
    passages: tuple[RetrievedPassage, ...]  # passage i+1 is cited as [i+1]
    product: str | None
    # For a follow-up: the customer's own words this turn (`question` adds the conversation's
    # topic to them) and the bot's previous answer, which the new one must not repeat.
    focus: str = ""
    said: str = ""


@dataclass
class GenerationReport:
    """Filled in by a generator while it streams one answer (the caller makes a fresh one)."""

    model: str | None = None  # the model that wrote the text, as the server named it
    routing: RoutingDecision | None = None  # set by the routing generator only
    usage: dict[str, RouteUsage] = field(default_factory=dict)  # by route

    def route_usage(self, route: str) -> RouteUsage:
        return self.usage.setdefault(route, RouteUsage())


class GeneratorUnavailable(Exception):
    """The generator cannot answer now (server down, timeout, breaker open).

    `streamed` says whether any text had already been handed out when it failed, so the
    caller knows to withdraw it.
    """

    def __init__(self, reason: str, *, streamed: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.streamed = streamed


class Generator(Protocol):
    name: str

    def stream(
        self, request: GenerationRequest, report: GenerationReport | None = None
    ) -> AsyncIterator[str]:
        """Answer text in pieces; raises GeneratorUnavailable when it cannot finish.

        `report`, when given, receives the answering model, tokens and time spent.
        """
        ...

    def current_model(self) -> str | None:
        """The model the next answer comes from, when a model server writes it."""
        ...

    async def classify_intent(self, text: str, history: tuple[Turn, ...]) -> Route | None:
        """The intent of a customer message, or None to leave it to the rules."""
        ...

    async def aclose(self) -> None:
        """Release connections (called when the app stops)."""
        ...
