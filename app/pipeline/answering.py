"""The answer pipeline: a customer message and the conversation in, a cited answer out.

    message -> triage (sentiment, complaint, entities) -> intent / reserved topic ->
    (resolved against the conversation) -> retrieval, preferring the customer's product ->
    confidence -> abstain | ask which product | generate -> markers checked -> citations

The pipeline alone decides whether to answer; generators only word the answer from the
passages they are given. When the configured generator fails (the model server is down,
slow, or its breaker is open) the extractive generator answers instead and the answer says
so. Everything here is framework-free: the chat, `supportbot ask` and `supportbot eval` all
call `stream()` or `answer()`.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from typing import Any

from app.ground.config import AnswerSettings
from app.ground.errors import AppError
from app.ground.products import ProductCatalog
from app.pipeline.conversation import ResolvedMessage, resolve
from app.pipeline.coverage import missing_terms
from app.pipeline.generators.base import (
    GenerationReport,
    GenerationRequest,
    Generator,
    GeneratorUnavailable,
)
from app.pipeline.generators.extractive import ExtractiveGenerator
from app.pipeline.markers import MarkerFilter, tidy_spacing
from app.pipeline.policy import HANDOFF_TEXTS, policy_topic
from app.pipeline.retrieval import ProductPreference, RetrievedPassage, Retriever
from app.pipeline.routes import answer_route
from app.pipeline.triage import Triage, Triager
from app.pipeline.types import (
    Answer,
    AnswerKind,
    Citation,
    Escalation,
    Route,
    RouteUsage,
    RoutingDecision,
    Turn,
)

# Cosine similarity of MiniLM embeddings: unrelated texts score ~0-0.2, a paraphrase of a
# passage's topic 0.5 and up. Confidence maps this range onto 0..1.
_COSINE_NONE = 0.15
_COSINE_SURE = 0.65

ABSTAIN_TEXT = (
    "I'm sorry, I couldn't find an answer to that in our documentation. "
    "Would you like me to bring in a person from our support team?"
)
HANDOFF_TEXT = (
    "Of course. I'm bringing in a person from our support team; they will see this "
    "conversation and reply here."
)
COMPLAINT_NOTE = (
    "I'm sorry about the trouble. I've flagged this conversation for a person from our "
    "support team."
)
GREETING_TEXT = "Hello! Ask me about your router, switch or access point and I'll look it up."
THANKS_TEXT = "You're welcome! Anything else I can help with?"
STILL_STUCK_NOTE = (
    "Since this hasn't solved it, I've also asked a person from our support team to take a look."
)


@dataclass(frozen=True)
class TextDelta:
    """More answer text to show."""

    text: str


@dataclass(frozen=True)
class Restart:
    """Discard the text streamed so far; a fallback answer follows (`notice` says why)."""

    notice: str


@dataclass(frozen=True)
class Done:
    """The finished answer. Its text is what was streamed since the last Restart, with the
    citation markers renumbered 1, 2, 3 in order of appearance: show it in place of the
    streamed text."""

    answer: Answer


AnswerEvent = TextDelta | Restart | Done


class AnswerPipeline:
    """Answers customer messages from the index (see the module docstring)."""

    def __init__(
        self,
        retriever: Retriever,
        catalog: ProductCatalog,
        settings: AnswerSettings,
        generator: Generator | None = None,
        triager: Triager | None = None,
    ):
        self._retriever = retriever
        self._catalog = catalog
        self._settings = settings
        self._triager = triager or Triager(catalog)
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
        self, message: str, history: tuple[Turn, ...] = ()
    ) -> AsyncIterator[AnswerEvent]:
        """The answer as it is written: text deltas, maybe a Restart, then Done."""
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
        turn = self._triager(message, history)
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
        base = _Draft(intent=intent, resolved=resolved, started=started, triage=turn)

        if intent == "human":
            asked = Escalation("asked_for_human", "The customer asked for a person.")
            yield TextDelta(HANDOFF_TEXT)
            yield Done(base.finish("handoff", HANDOFF_TEXT, escalation=asked))
            return
        topic = policy_topic(message)
        if topic is not None:
            reserved = Escalation(
                "policy_topic", f"A {topic} matter, which people handle.", topic=topic
            )
            yield TextDelta(HANDOFF_TEXTS[topic])
            yield Done(base.finish("handoff", HANDOFF_TEXTS[topic], escalation=reserved))
            return
        if intent in ("greeting", "thanks"):
            text = GREETING_TEXT if intent == "greeting" else THANKS_TEXT
            yield TextDelta(text)
            yield Done(base.finish("smalltalk", text))
            return

        retrieved = self._retrieve(resolved)
        base.retrieved = tuple(retrieved)
        base.mark("retrieval_ms")
        confidence = _confidence(retrieved)
        base.confidence = confidence
        escalation = _escalation(intent, turn, resolved, history)

        missing = missing_terms(message, retrieved, self._catalog)
        if confidence < self._settings.min_confidence or missing:
            # Not an escalation by itself: the customer is offered a person, and a second
            # failure in the conversation escalates (app/handoff).
            text = _abstain_text(missing)
            yield TextDelta(text)
            yield Done(base.finish("abstain", text, escalation=escalation))
            return
        ambiguous = [] if resolved.product else self._products_in_doubt(retrieved)
        if ambiguous:
            text = _which_product(ambiguous)
            yield TextDelta(text)
            yield Done(base.finish("clarify", text, clarify_products=tuple(ambiguous)))
            return

        passages = tuple(retrieved[: self._settings.passages])
        request = GenerationRequest(
            question=resolved.query, history=history, passages=passages, product=resolved.product
        )
        generated = _Generated()
        async for event in self._generate(request, generated):
            if isinstance(event, TextDelta):
                model_intent.start()
            yield event
        base.mark("generation_ms")
        base.usage = generated.usage
        if not generated.cited:  # nothing citable came out of any generator
            yield TextDelta(ABSTAIN_TEXT)
            yield Done(base.finish("abstain", ABSTAIN_TEXT, notice=generated.notice))
            return
        text, citations = _renumbered(tidy_spacing(generated.text), generated.cited, passages)
        refined = await model_intent.result()
        if refined is not None and refined != base.intent:
            base.intent = refined
            escalation = escalation or _escalation(refined, turn, resolved, history)
        for note in _notes(escalation):
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

    def _products_in_doubt(self, retrieved: list[RetrievedPassage]) -> list[str]:
        """Products whose passages compete for the top, when no product was named.

        Contenders are the best three passages scoring close to the best one. Only when all of
        them are product-specific: a generic passage among them means the answer does not
        depend on the product.
        """
        if not retrieved:
            return []
        bar = self._settings.ambiguity_ratio * retrieved[0].score
        top = [r for r in retrieved[:3] if r.score >= bar]
        if len(top) < 2 or any(not r.passage.products for r in top):
            return []
        if set.intersection(*(set(r.passage.products) for r in top)):
            return []  # one product is covered by all of them
        best: dict[str, float] = {}
        for r in retrieved:
            for product in r.passage.products:
                best.setdefault(product, r.score)
        ranked = sorted(best, key=lambda p: -best[p])
        leader = best[ranked[0]]
        close = [p for p in ranked if best[p] >= self._settings.ambiguity_ratio * leader]
        return close if len(close) >= 2 else []

    async def _generate(
        self, request: GenerationRequest, generated: _Generated
    ) -> AsyncIterator[AnswerEvent]:
        """Stream the configured generator, falling back to the extractive one on failure."""
        generators = [self._generator]
        if self._generator is not self._fallback:
            generators.append(self._fallback)
        for generator in generators:
            markers = MarkerFilter(len(request.passages))
            generated.reset(generator)
            try:
                async for chunk in generator.stream(request, generated.report):
                    shown = markers.feed(chunk)
                    if shown:
                        generated.text += shown
                        yield TextDelta(shown)
                tail = markers.finish()
                if tail:
                    generated.text += tail
                    yield TextDelta(tail)
            except GeneratorUnavailable as exc:
                notice = f"The answer model is unavailable ({exc.reason}); answered from passages."
                generated.notice = notice
                if generated.text:
                    yield Restart(notice)
                continue
            if markers.cited:
                generated.cited = list(markers.cited)
                return
            # No claim without a citation: an uncited model answer is not shown.
            generated.notice = "The model's answer cited no passage; answered from passages."
            if generated.text:
                yield Restart(generated.notice)
        generated.text, generated.cited = "", []


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


@dataclass
class _Generated:
    text: str = ""
    cited: list[int] = field(default_factory=list)
    generator: str = ""
    notice: str | None = None
    report: GenerationReport = field(default_factory=GenerationReport)
    # What every generator tried spent, by route (a failed model answer's tokens too).
    usage: dict[str, RouteUsage] = field(default_factory=dict)

    def reset(self, generator: Generator) -> None:
        self.text, self.cited, self.generator = "", [], generator.name
        self.report = GenerationReport(model=generator.current_model(), usage=self.usage)


@dataclass
class _Draft:
    """What is known about the turn so far, turned into an Answer by `finish`."""

    intent: Route
    resolved: ResolvedMessage
    started: float
    triage: Triage | None = None
    retrieved: tuple[RetrievedPassage, ...] = ()
    confidence: float = 0.0
    usage: dict[str, RouteUsage] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.timings: dict[str, float] = {}
        self._last = self.started

    def mark(self, name: str) -> None:
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
            timings_ms=dict(self.timings),
            triage=self.triage,
        )


def _renumbered(
    text: str, cited: list[int], passages: tuple[RetrievedPassage, ...]
) -> tuple[str, tuple[Citation, ...]]:
    """Markers renumbered in order of first appearance, with their citations."""
    new_number = {old: new for new, old in enumerate(cited, 1)}
    text = re.sub(r"\[(\d+)\]", lambda m: f"[{new_number[int(m.group(1))]}]", text)
    return text, tuple(Citation.of(new, passages[old - 1]) for old, new in new_number.items())


def _confidence(retrieved: list[RetrievedPassage]) -> float:
    """How sure retrieval is that the top passages are about the question (0..1)."""
    cosines = [r.dense_score for r in retrieved[:3] if r.dense_score is not None]
    if not cosines:
        return 0.0
    scaled = (max(cosines) - _COSINE_NONE) / (_COSINE_SURE - _COSINE_NONE)
    return min(1.0, max(0.0, scaled))


def _escalation(
    intent: Route, turn: Triage, resolved: ResolvedMessage, history: tuple[Turn, ...]
) -> Escalation | None:
    # A complaint escalates when it comes with negative feeling; a calm "this is the third
    # time" is answered first (and escalates if the answers do not help).
    if intent == "complaint" and turn.sentiment_label == "negative":
        signals = ", ".join(turn.signals) or "negative sentiment"
        return Escalation("complaint", f"A complaint ({signals}).")
    if intent == "human":
        return Escalation("asked_for_human", "The customer asked for a person.")
    answered = sum(1 for t in history if t.role == "assistant")
    if resolved.still_stuck and answered >= 2:
        return Escalation("repeated_problem", "The customer says the suggested fixes did not help.")
    return None


def _notes(escalation: Escalation | None) -> list[str]:
    if escalation is None:
        return []
    if escalation.reason == "complaint":
        return [COMPLAINT_NOTE]
    if escalation.reason == "repeated_problem":
        return [STILL_STUCK_NOTE]
    return []


def _abstain_text(missing: list[str]) -> str:
    if not missing:
        return ABSTAIN_TEXT
    named = ", ".join(dict.fromkeys(missing))
    return (
        f"I'm sorry, I couldn't find anything about {named} in our documentation. "
        "Would you like me to bring in a person from our support team?"
    )


def _which_product(products: list[str]) -> str:
    names = products[:4]
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return f"Which product is this about: {listed}? The answer differs between them."
