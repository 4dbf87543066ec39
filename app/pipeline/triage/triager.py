"""The triage of one customer turn: sentiment, complaint, intent and entities together.

`triage` combines the parts (each in its own module of this package) where they depend on
each other: sarcasm turns the sentiment, bad feeling turns a plain question into a grievance,
and the intent depends on whether the turn is a complaint. `Triager` binds the catalog, the
prototypes and the learned models once, for the answer pipeline.

With learned models (app/learned: heads trained from examples, `supportbot triage train`),
their complaint and sentiment verdicts replace the hand-written rules', and the company's
intent (intents.toml) is added; the rules remain for a task with no model stored, and for
what no model decides (a request for a person, entities). Each learned verdict's evidence,
its probability and the nearest training example, goes into `Triage.signals`.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, cast, get_args

from app.ground.products import ProductCatalog
from app.ground.words import is_nonsense
from app.pipeline.triage.complaint import complaint_score, complaint_signals
from app.pipeline.triage.complaint_patterns import SECOND_PERSON
from app.pipeline.triage.entities import extract_entities
from app.pipeline.triage.intent import intent_of
from app.pipeline.triage.prototypes import ComplaintPrototypes
from app.pipeline.triage.sentiment import (
    NEUTRAL_BAND,
    clean_text,
    compound_score,
    sentiment_label,
)
from app.pipeline.types import SentimentLabel, Triage, Turn

if TYPE_CHECKING:
    from app.ground.embedding import Embedder
    from app.learned.models import Assessment, LearnedTriage


class Triager:
    """`triage` with the catalog and, when an embedder is given, the complaint prototypes
    bound once: what the answer pipeline calls on every customer turn."""

    def __init__(
        self,
        catalog: ProductCatalog | None = None,
        embedder: Embedder | None = None,
        learned: LearnedTriage | None = None,
    ):
        self._catalog = catalog
        self._learned = learned
        # The prototypes only serve the rules' complaint score: not needed beside a model.
        uses_rules = learned is None or "complaint" not in learned.heads
        self._prototypes = (
            ComplaintPrototypes(embedder) if embedder is not None and uses_rules else None
        )
        # Callers may triage from worker threads; spaCy's pipeline is not documented as
        # thread-safe, so one turn is triaged at a time.
        self._lock = threading.Lock()

    def __call__(self, text: str, history: Sequence[Turn] = ()) -> Triage:
        with self._lock:
            return triage(
                text, history, self._catalog, prototypes=self._prototypes, learned=self._learned
            )

    @property
    def learned_tasks(self) -> list[str]:
        """The tasks decided by learned models rather than the rules (for reports)."""
        return sorted(self._learned.heads) if self._learned is not None else []

    def warm(self) -> None:
        """Load VADER and spaCy now rather than on the first customer's message."""
        self("My router stopped working, order 12345, is this normal?")


def triage(
    text: str,
    history: Sequence[Turn] = (),
    catalog: ProductCatalog | None = None,
    *,
    prototypes: ComplaintPrototypes | None = None,
    learned: LearnedTriage | None = None,
) -> Triage:
    """Sentiment, complaint, intent and entities of one customer turn.

    `history` is the conversation before this turn (a repeated problem counts towards a
    complaint); `catalog` finds products; `prototypes` adds embedding similarity to the
    rules; `learned` models, where they have a verdict, take the place of the rules.
    """
    clean = clean_text(text)
    reading = learned.assess(clean, explain=True) if learned is not None and clean else None
    junk = is_nonsense(clean)
    if reading is not None and reading.complaint is not None:
        return _learned_triage(text, clean, reading, catalog, junk=junk)
    signals = complaint_signals(clean, history)
    compound = compound_score(clean)
    if "sarcasm" in signals and compound > -0.3:
        # Sarcastic praise means its opposite: keep its strength, turn its sign.
        compound = -max(0.3, abs(compound))
    if compound <= -NEUTRAL_BAND:
        # A question or a request said with bad feeling is not a plain one ("is that all
        # that matters, not the stress we were put through?").
        signals = [s for s in signals if s not in ("plain_question", "polite_request")]
        if SECOND_PERSON.search(clean):
            signals.append("negative_at_company")  # the bad feeling is about *them*
    margin = prototypes.margin(clean) if prototypes is not None and clean else None
    score = complaint_score(signals, compound, margin)
    complaint = score >= 0.5
    return Triage(
        sentiment_score=max(-1.0, min(1.0, compound)),
        sentiment_label=sentiment_label(compound),
        complaint=complaint,
        complaint_score=score,
        intent=intent_of(text, clean, complaint=complaint),
        entities=extract_entities(text, catalog),
        signals=tuple(signals),
        junk=junk,
    )


def _learned_triage(
    text: str, clean: str, reading: Assessment, catalog: ProductCatalog | None, *, junk: bool
) -> Triage:
    """The triage when a complaint model is stored: its verdicts, with their evidence."""
    complaint = bool(reading.complaint)
    probability = float(reading.complaint_probability or 0.0)
    signals = [f"complaint model: {probability:.2f}", *_nearest("complaint", reading)]
    label: SentimentLabel
    if reading.sentiment in get_args(SentimentLabel) and reading.sentiment_score is not None:
        label, score = cast(SentimentLabel, reading.sentiment), reading.sentiment_score
        signals += [f"sentiment model: {label}", *_nearest("sentiment", reading)]
    else:
        score = compound_score(clean)
        label = sentiment_label(score)
    if reading.intent is not None:
        signals.append(f"intent model: {reading.intent} ({reading.intent_probability or 0:.2f})")
    return Triage(
        sentiment_score=max(-1.0, min(1.0, score)),
        sentiment_label=label,
        complaint=complaint,
        complaint_score=probability,
        intent=intent_of(text, clean, complaint=complaint),
        entities=extract_entities(text, catalog),
        signals=tuple(signals),
        company_intent=reading.intent,
        intent_route=reading.route,
        junk=junk,
    )


def _nearest(task: str, reading: Assessment) -> list[str]:
    """The training example most like the message, as evidence for the agent."""
    explanation = reading.explanations.get(task)
    if explanation is None or not explanation.nearest:
        return []
    neighbour = explanation.nearest[0]
    return [f'like "{neighbour.text}" ({neighbour.label})']
