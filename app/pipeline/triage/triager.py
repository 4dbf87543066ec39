"""The triage of one customer turn: sentiment, complaint, intent and entities together.

`triage` combines the parts (each in its own module of this package) where they depend on
each other: sarcasm turns the sentiment, bad feeling turns a plain question into a grievance,
and the intent depends on whether the turn is a complaint. `Triager` binds the catalog and
the prototypes once, for the answer pipeline.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING

from app.ground.products import ProductCatalog
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
from app.pipeline.types import Triage, Turn

if TYPE_CHECKING:
    from app.ground.embedding import Embedder


class Triager:
    """`triage` with the catalog and, when an embedder is given, the complaint prototypes
    bound once: what the answer pipeline calls on every customer turn."""

    def __init__(self, catalog: ProductCatalog | None = None, embedder: Embedder | None = None):
        self._catalog = catalog
        self._prototypes = ComplaintPrototypes(embedder) if embedder is not None else None
        # Callers may triage from worker threads; spaCy's pipeline is not documented as
        # thread-safe, so one turn is triaged at a time.
        self._lock = threading.Lock()

    def __call__(self, text: str, history: Sequence[Turn] = ()) -> Triage:
        with self._lock:
            return triage(text, history, self._catalog, prototypes=self._prototypes)

    def warm(self) -> None:
        """Load VADER and spaCy now rather than on the first customer's message."""
        self("My router stopped working, order 12345, is this normal?")


def triage(
    text: str,
    history: Sequence[Turn] = (),
    catalog: ProductCatalog | None = None,
    *,
    prototypes: ComplaintPrototypes | None = None,
) -> Triage:
    """Sentiment, complaint, intent and entities of one customer turn.

    `history` is the conversation before this turn (a repeated problem counts towards a
    complaint); `catalog` finds products; `prototypes` adds embedding similarity.
    """
    clean = clean_text(text)
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
    )
