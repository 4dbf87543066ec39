"""Reading a message in the context of the conversation before it.

Customers write follow-ups ("it still drops", "what about the LR-400?", or just "LS-8P" in
reply to "which product?") that mean nothing on their own. A message is read as a follow-up
when it is short or opens with a word that points back; it is then searched together with the
customer's previous question. The product is the one named in this message, else the one
named most recently in the conversation.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.ground.products import ProductCatalog
from app.ground.text import content_words
from app.pipeline.types import Turn

# Few topic words: a fragment like "still not working" or "and on the LR-400?".
_MAX_FOLLOW_UP_WORDS = 3
_POINTS_BACK = re.compile(
    r"^\s*(it|its|it's|that|this|they|them|those|these|same|still|again|also|and|but|"
    r"what about|how about|ok|okay|tried|i tried|did that|done that|didn't|doesn't|"
    r"no luck|nope|yes|no)\b",
    re.IGNORECASE,
)
# A short question that names its own subject ("What is the capital of Australia?") stands on
# its own; one with a pronoun ("how long do I hold it?") points back.
_QUESTION_START = re.compile(
    r"^\s*(what|how|why|when|where|which|who|can|could|does|do|is|are|will|should)\b",
    re.IGNORECASE,
)
_POINTER = re.compile(r"\b(it|its|it's|that|this|they|them|those|these|one|ones)\b", re.IGNORECASE)
_STILL_STUCK = re.compile(
    r"\b(still|again|same (problem|issue|thing)|(did ?n[o']?t|does ?n[o']?t|not) (work|help|fix)"
    r"|no luck|nothing (works|worked|changed))\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ResolvedMessage:
    """A customer message made searchable."""

    query: str  # what to search for
    product: str | None  # the product the conversation is about, if any
    follow_up: bool
    still_stuck: bool  # "it still doesn't work": the previous answer did not help


def resolve(message: str, history: Sequence[Turn], catalog: ProductCatalog) -> ResolvedMessage:
    """Read `message` against the conversation so far (oldest turn first)."""
    previous_questions = [t.text for t in history if t.role == "customer"]
    product = catalog.detect(message)
    if product is None:
        product = next((p for t in reversed(previous_questions) if (p := catalog.detect(t))), None)
    short = len(content_words(message)) <= _MAX_FOLLOW_UP_WORDS
    stands_alone = bool(_QUESTION_START.match(message)) and not _POINTER.search(message)
    follow_up = bool(previous_questions) and (
        bool(_POINTS_BACK.match(message)) or (short and not stands_alone)
    )
    query = f"{_last_topic(previous_questions)} {message}" if follow_up else message
    return ResolvedMessage(
        query=query.strip(),
        product=product,
        follow_up=follow_up,
        still_stuck=follow_up and bool(_STILL_STUCK.search(message)),
    )


def _last_topic(previous_questions: list[str]) -> str:
    """The most recent customer message that stood on its own (not itself a fragment)."""
    for text in reversed(previous_questions):
        if len(content_words(text)) > _MAX_FOLLOW_UP_WORDS:
            return text
    return previous_questions[-1] if previous_questions else ""
