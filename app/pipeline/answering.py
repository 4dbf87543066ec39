"""The answer pipeline: a customer message and the conversation in, a cited answer out.

    message -> triage (sentiment, complaint, entities) -> intent / reserved topic ->
    (resolved against the conversation) -> retrieval, preferring the customer's product ->
    confidence -> abstain | ask which product | generate -> markers checked -> citations

This module runs those steps in order; each step's rules live in their own module: the
decision to answer in `decision`, the wording with its fallback in `generation`, the fixed
replies in `replies`, the stream events in `events`. The pipeline alone decides whether to
answer; generators only word the answer from the passages they are given. When the
configured generator fails (the model server is down, slow, or its breaker is open) the
extractive generator answers instead and the answer says so. Everything here is
framework-free: the chat, `supportbot ask` and `supportbot eval` all call `stream()` or
`answer()`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any, Protocol

from app.ground.config import AnswerSettings
from app.ground.errors import AppError
from app.ground.products import ProductCatalog
from app.pipeline.conversation import ResolvedMessage, resolve
from app.pipeline.decision import decide, direct_reply, escalation_for
from app.pipeline.draft import AnswerDraft
from app.pipeline.events import AnswerEvent, Done, Restart, TextDelta
from app.pipeline.generation import Generated, generate_with_fallback, renumbered
from app.pipeline.generators.base import GenerationRequest, Generator, GeneratorUnavailable
from app.pipeline.generators.extractive import ExtractiveGenerator
from app.pipeline.markers import tidy_spacing
from app.pipeline.replies import (
    ABSTAIN_TEXT,
    COMPLAINT_NOTE,
    GREETING_TEXT,
    HANDOFF_TEXT,
    STILL_STUCK_NOTE,
    THANKS_TEXT,
    escalation_notes,
)
from app.pipeline.retrieval import ProductPreference, RetrievedPassage, Retriever
from app.pipeline.routes import answer_route
from app.pipeline.triage import Triage, Triager
from app.pipeline.triage_pool import in_triage_thread
from app.pipeline.types import Answer, Route, Turn

# The stream events and the fixed replies moved to their own modules; callers keep importing
# them from here, where the pipeline that produces them lives.
__all__ = [
    "ABSTAIN_TEXT",
    "COMPLAINT_NOTE",
    "GREETING_TEXT",
    "HANDOFF_TEXT",
    "STILL_STUCK_NOTE",
    "THANKS_TEXT",
    "AnswerEvent",
    "AnswerPipeline",
    "Done",
    "Restart",
    "TextDelta",
    "TurnTriager",
]


class TurnTriager(Protocol):
    """What the pipeline needs of triage (`app.pipeline.triage.Triager` is the real one)."""

    def __call__(self, text: str, history: Sequence[Turn] = ...) -> Triage: ...

    def warm(self) -> None: ...


class AnswerPipeline:
    """Answers customer messages from the index (see the module docstring)."""

    def __init__(
        self,
        retriever: Retriever,
        catalog: ProductCatalog,
        settings: AnswerSettings,
        generator: Generator | None = None,
        triager: TurnTriager | None = None,
    ):
        self._retriever = retriever
        self._catalog = catalog
        self._settings = settings
        self._triager: TurnTriager = triager or Triager(catalog)
        self._fallback = ExtractiveGenerator()
        self._generator: Generator = generator or self._fallback

    @property
    def generator_name(self) -> str:
        return self._generator.name

    async def aclose(self) -> None:
        await self._generator.aclose()

    def warm(self) -> None:
        """Load what the first customer would otherwise wait for (triage's language models)."""
        self._triager.warm()

    def triage(self, message: str, history: tuple[Turn, ...] = ()) -> Triage:
        """The turn's sentiment, complaint, intent and entities, without answering it."""
        return self._triager(message, history)

    async def answer(self, message: str, history: tuple[Turn, ...] = ()) -> Answer:
        """The whole answer at once (terminal, eval)."""
        async for event in self.stream(message, history):
            if isinstance(event, Done):
                return event.answer
        raise AssertionError("the answer stream ended without a result")

    async def stream(
        self, message: str, history: tuple[Turn, ...] = (), *, triage: Triage | None = None
    ) -> AsyncIterator[AnswerEvent]:
        """The answer as it is written: text deltas, maybe a Restart, then Done. `triage`:
        the turn's triage when the caller already has it (it is not done twice)."""
        started = time.perf_counter()
        message = message.strip()
        if not message:
            raise AppError("usage", "the message is empty")
        if len(message) > self._settings.max_question_chars:
            raise AppError(
                "too_long",
                f"the message is {len(message):,} characters long; please keep it under "
                f"{self._settings.max_question_chars:,} characters",
            )
        # Triage decides at once; a model's opinion, when one is configured, is asked once
        # the answer streams (see _ModelIntent) and can only add an escalation.
        # On the triage thread: spaCy and MiniLM on the event loop would stall every chat.
        turn = (
            triage
            if triage is not None
            else await in_triage_thread(self._triager, message, history)
        )
        intent = answer_route(turn, message)
        model_intent = _ModelIntent(
            self._model_intent(message, history)
            if intent == "question" and self._generator is not self._fallback
            else None
        )
        try:
            async for event in self._answer(message, history, turn, intent, model_intent, started):
                yield event
        finally:
            model_intent.cancel()

    async def _answer(
        self,
        message: str,
        history: tuple[Turn, ...],
        turn: Triage,
        intent: Route,
        model_intent: _ModelIntent,
        started: float,
    ) -> AsyncIterator[AnswerEvent]:
        resolved = resolve(message, history, self._catalog)
        base = AnswerDraft(intent=intent, resolved=resolved, started=started, triage=turn)

        direct = direct_reply(intent, message)
        if direct is not None:
            yield TextDelta(direct.text)
            yield Done(base.finish(direct.kind, direct.text, escalation=direct.escalation))
            return

        retrieved = self._retrieve(resolved)
        base.retrieved = tuple(retrieved)
        base.mark("retrieval_ms")
        decision = decide(message, resolved, retrieved, self._catalog, self._settings, history)
        base.confidence = decision.confidence
        escalation = escalation_for(intent, turn, resolved, history)
        if decision.kind == "abstain":
            yield TextDelta(decision.text)
            yield Done(base.finish("abstain", decision.text, escalation=escalation))
            return
        if decision.kind == "clarify":
            yield TextDelta(decision.text)
            yield Done(
                base.finish(
                    "clarify",
                    decision.text,
                    clarify_products=decision.clarify_products,
                    clarify_options=decision.clarify_options,
                )
            )
            return

        passages = tuple(retrieved[: self._settings.passages])
        request = GenerationRequest(
            question=resolved.query,
            history=history,
            passages=passages,
            product=resolved.product,
            focus=resolved.focus,
            said=resolved.previous_answer,
        )
        generated = Generated()
        async for event in generate_with_fallback(self._generators(), request, generated):
            if isinstance(event, TextDelta):
                model_intent.start()
            yield event
        base.mark("generation_ms")
        base.usage = generated.usage
        if not generated.cited:  # nothing citable came out of any generator
            yield TextDelta(ABSTAIN_TEXT)
            yield Done(base.finish("abstain", ABSTAIN_TEXT, notice=generated.notice))
            return
        text, citations = renumbered(tidy_spacing(generated.text), generated.cited, passages)
        refined = await model_intent.result()
        if refined is not None and refined != base.intent:
            base.intent = refined
            escalation = escalation or escalation_for(refined, turn, resolved, history)
        for note in escalation_notes(escalation):
            yield TextDelta(f"\n\n{note}")
            text += f"\n\n{note}"
        yield Done(
            base.finish(
                "answer",
                text,
                citations=citations,
                escalation=escalation,
                generator=generated.generator,
                model=generated.report.model,
                notice=generated.notice,
                routing=generated.report.routing,
            )
        )

    def _generators(self) -> list[Generator]:
        """The configured generator, then the extractive one unless that is the configured."""
        if self._generator is self._fallback:
            return [self._generator]
        return [self._generator, self._fallback]

    async def _model_intent(self, message: str, history: tuple[Turn, ...]) -> Route | None:
        try:
            return await self._generator.classify_intent(message, history)
        except GeneratorUnavailable:
            return None

    def _retrieve(self, resolved: ResolvedMessage) -> list[RetrievedPassage]:
        prefer = None
        if resolved.product:
            prefer = ProductPreference(
                resolved.product, other_product_weight=self._settings.other_product_weight
            )
        # More than the generator gets: the ambiguity check looks a little further down.
        return self._retriever.search(
            resolved.query, k=max(self._settings.passages, 5), prefer=prefer
        )


class _ModelIntent:
    """The model's reading of a message, asked once the answer has started streaming:
    asking earlier would make it compete with the answer for the model server and delay the
    first token."""

    def __init__(self, ask: Coroutine[Any, Any, Route | None] | None):
        self._ask = ask
        self._task: asyncio.Task[Route | None] | None = None

    def start(self) -> None:
        if self._ask is not None and self._task is None:
            self._task = asyncio.create_task(self._ask)

    async def result(self) -> Route | None:
        self.start()
        return await self._task if self._task is not None else None

    def cancel(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
        elif self._task is None and self._ask is not None:
            self._ask.close()  # never started: release the coroutine quietly
