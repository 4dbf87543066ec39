"""Wording the answer: the configured generator first, the extractive one when it fails.

The configured generator (a model server, usually) streams text through a `MarkerFilter`,
so a citation that points nowhere is never shown. When it fails before its first word the
extractive generator answers instead; when it fails mid-answer, finishes without citing a
passage, or writes a claim its citations do not support (app/pipeline/support.py), the text
shown so far is withdrawn (`Restart`) and the extractive answer follows.
Either way the answer carries a notice saying why. An answer to a follow-up that is the bot's
previous answer again (the same content words) is treated like an uncited one: the customer
asked something new. When no generator produces a cited answer, `Generated.cited` stays
empty and the pipeline abstains.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from app.ground.text import content_words
from app.pipeline.events import Restart, TextDelta
from app.pipeline.generators.base import (
    GenerationReport,
    GenerationRequest,
    Generator,
    GeneratorUnavailable,
)
from app.pipeline.markers import MarkerFilter, strip_markers
from app.pipeline.retrieval import RetrievedPassage
from app.pipeline.sections import cited_sections, supported_sentences
from app.pipeline.support import unsupported_claims
from app.pipeline.types import Citation, RouteUsage

UNCITED_NOTICE = "The model's answer cited no passage; answered from passages."
UNSUPPORTED_NOTICE = (
    "The model's answer had a sentence its citations do not support; answered from passages."
)
REPEATED_NOTICE = "The model's answer repeated the previous one; answered from passages."
# Its sentences are copied from the passage it cites: supported by construction.
QUOTING_GENERATOR = "extractive"


log = logging.getLogger(__name__)


def unavailable_notice(reason: str) -> str:
    return f"The answer model is unavailable ({reason}); answered from passages."


@dataclass
class Generated:
    """What the generators produced for one answer: filled in while it streams."""

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


async def generate_with_fallback(
    generators: Sequence[Generator], request: GenerationRequest, generated: Generated
) -> AsyncIterator[TextDelta | Restart]:
    """Stream the first generator that gives a cited answer, trying `generators` in order."""
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
            # The first failure is the one worth telling: why the configured model did not
            # answer (a fallback that finds nothing to quote does not change that).
            generated.notice = generated.notice or unavailable_notice(exc.reason)
            if generated.text:
                yield Restart(generated.notice)
            continue
        unsupported = bool(markers.cited) and _unsupported(generator, generated.text, request)
        repeated = repeats(generated.text, request.said)
        if markers.cited and not unsupported and not repeated:
            generated.cited = list(markers.cited)
            return
        # No claim without a citation: an uncited model answer, one with a sentence its
        # citations do not show (app/pipeline/support.py), or the previous answer given again
        # to a follow-up is not shown.
        if not markers.cited:
            generated.notice = generated.notice or UNCITED_NOTICE
        elif unsupported:
            generated.notice = generated.notice or UNSUPPORTED_NOTICE
        elif generator is not generators[-1]:
            generated.notice = generated.notice or REPEATED_NOTICE
        if generated.text:
            yield Restart(generated.notice or "")
    generated.text, generated.cited = "", []


def repeats(text: str, previous: str) -> bool:
    """Whether `text` is `previous` (the bot's last answer) again: the same content words.
    A part of it is no repeat: "how long do I hold it?" may be answered by one sentence of an
    answer about the whole reset."""
    if not previous or not text:
        return False
    return content_words(strip_markers(text)) == content_words(strip_markers(previous))


def _unsupported(generator: Generator, text: str, request: GenerationRequest) -> bool:
    """Whether a written (not quoted) answer has a claim without support in what it cites."""
    if generator.name == QUOTING_GENERATOR:
        return False
    problems = unsupported_claims(text, [r.passage.text for r in request.passages])
    for problem in problems:
        log.info("model answer withheld: %r (%s)", problem.sentence[:80], problem.reason)
    return bool(problems)


def renumbered(
    text: str, cited: list[int], passages: Sequence[RetrievedPassage]
) -> tuple[str, tuple[Citation, ...]]:
    """Markers renumbered in order of first appearance, with their citations."""
    new_number = {old: new for new, old in enumerate(cited, 1)}
    citations = tuple(
        Citation.of(
            new,
            passages[old - 1],
            cited_sections(passages[old - 1].passage, supported_sentences(text, old)),
        )
        for old, new in new_number.items()
    )
    text = re.sub(r"\[(\d+)\]", lambda m: f"[{new_number[int(m.group(1))]}]", text)
    return text, citations
