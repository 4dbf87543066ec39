"""Model routing: the small model answers, unless its opening shows it is not sure.

The small model's answer streams with token log-probabilities, and its first
`probe_tokens` tokens are held back while they are judged:

- confident (mean token probability at or above `min_confidence`, and no "I don't know"):
  the held-back opening is shown and the small model goes on;
- otherwise the same request goes to the larger endpoint. Once that one has written its first
  words, the small model's request is cancelled and the larger model's answer is shown. If the
  larger endpoint fails before that, the small model's answer is shown after all
  (`large_unavailable`): routing never makes a turn fail that the small model could answer.

Judging costs the time to `probe_tokens` tokens before the first word is shown, only on the
model path. The decision, the confidence it was taken on and each route's tokens and seconds
go into the GenerationReport; the chat stores the decision and the metrics count it.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator
from typing import Literal

from app.pipeline.generators.base import (
    GenerationReport,
    GenerationRequest,
    GeneratorUnavailable,
)
from app.pipeline.generators.vllm import Piece, VllmGenerator
from app.pipeline.types import Route, RoutingDecision, Turn

# An opening that says it does not know: the larger model may.
_DOES_NOT_KNOW = re.compile(
    r"\b(?:i\s+(?:do\s+not|don'?t)\s+know|i'?m\s+not\s+sure|i\s+am\s+not\s+sure"
    r"|(?:cannot|can'?t)\s+find|do(?:es)?\s+not\s+(?:say|cover|mention))\b",
    re.IGNORECASE,
)


class RoutingGenerator:
    """The small model, handing over to a larger one when unsure (see the module docstring)."""

    name = "vllm"

    def __init__(
        self,
        small: VllmGenerator,
        large: VllmGenerator,
        *,
        min_confidence: float,
        probe_tokens: int,
    ) -> None:
        self._small = small
        self._large = large
        self._min_confidence = min_confidence
        self._probe_tokens = probe_tokens

    def current_model(self) -> str:
        """The small model: it starts every answer."""
        return self._small.current_model()

    async def classify_intent(self, text: str, history: tuple[Turn, ...]) -> Route | None:
        return await self._small.classify_intent(text, history)

    async def aclose(self) -> None:
        await self._small.aclose()
        await self._large.aclose()

    async def stream(
        self, request: GenerationRequest, report: GenerationReport | None = None
    ) -> AsyncIterator[str]:
        report = report if report is not None else GenerationReport()
        small = self._small.pieces(request, report, logprobs=True)
        small_model = report.model = self._small.current_model()
        try:
            try:
                opening = await self._opening(small)
            except GeneratorUnavailable:
                # Nothing of the opening was shown yet, so the larger model can start afresh.
                report.routing = self._decision("large", "small_unavailable", None, small_model)
                async for text in _texts([], self._large.pieces(request, report)):
                    yield text
                return
            confidence = _mean_probability(opening)
            reason = self._judge("".join(piece.text for piece in opening), confidence)
            if reason == "confident":
                report.model = small_model
                report.routing = self._decision("small", reason, confidence, small_model)
                async for text in _texts(opening, small):
                    yield text
                return
            large = self._large.pieces(request, report)
            try:
                first = await anext(large)
            except (GeneratorUnavailable, StopAsyncIteration):
                # The larger model cannot take it: the small one's answer is better than none.
                report.model = small_model
                report.routing = self._decision(
                    "small", "large_unavailable", confidence, small_model
                )
                async for text in _texts(opening, small):
                    yield text
                return
            await small.aclose()  # cancels the small model's request on the server
            report.routing = self._decision("large", reason, confidence, small_model)
            async for text in _texts([first], large):
                yield text
        finally:
            await small.aclose()

    async def _opening(self, small: AsyncIterator[Piece]) -> list[Piece]:
        """The small model's first `probe_tokens` tokens (fewer if the answer is shorter)."""
        opening: list[Piece] = []
        tokens = 0
        async for piece in small:
            opening.append(piece)
            tokens += max(1, len(piece.logprobs))
            if tokens >= self._probe_tokens:
                break
        return opening

    def _judge(self, opening: str, confidence: float | None) -> str:
        if _DOES_NOT_KNOW.search(opening):
            return "abstained"
        if confidence is None or confidence < self._min_confidence:
            return "low_confidence"
        return "confident"

    def _decision(
        self,
        route: Literal["small", "large"],
        reason: str,
        confidence: float | None,
        small_model: str,
    ) -> RoutingDecision:
        return RoutingDecision(
            route=route,
            reason=reason,
            confidence=confidence,
            threshold=self._min_confidence,
            small_model=small_model,
            large_model=self._large.current_model(),
        )


def _mean_probability(pieces: list[Piece]) -> float | None:
    """exp(mean log-probability) of the tokens: the geometric mean of their probabilities.

    None when the server sent no log-probabilities (then the small model is not trusted).
    """
    logprobs = [lp for piece in pieces for lp in piece.logprobs]
    if not logprobs:
        return None
    return math.exp(sum(logprobs) / len(logprobs))


async def _texts(held: list[Piece], rest: AsyncIterator[Piece]) -> AsyncIterator[str]:
    """The text of the pieces held back, then of the rest of the stream (empty ones skipped:
    a piece may carry only log-probabilities)."""
    for piece in held:
        if piece.text:
            yield piece.text
    async for piece in rest:
        if piece.text:
            yield piece.text
