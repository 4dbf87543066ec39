"""Reading a message in the context of the conversation before it.

Customers write follow-ups ("it still drops", "what about the LR-400?", or just "LS-8P" in
reply to "which one do you mean?") that mean nothing on their own. A message is read as a
follow-up when it is short, opens with a word that points back, or answers the bot's own
question back. It is then searched as its own words plus the conversation's topic: the content
words of the customer's last self-contained question and the product, not that whole question,
so that what is new in the message ("the light stays red") weighs as much as what it refers to
("factory reset", "LR-200"). The product is the one named in this message, else the one named
most recently in the conversation. A follow-up also carries the bot's previous answer, so that
the answer to it can prefer what was not said yet (app/pipeline/generation.py).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.ground.products import ProductCatalog
from app.ground.text import content_word_list, content_words
from app.pipeline.replies import is_clarification
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
    # For a follow-up: the customer's own words this turn, and the bot's previous answer.
    focus: str = ""
    previous_answer: str = ""
    # The message answers the bot's question back ("which one do you mean?"): go on, do not
    # ask again.
    answers_clarification: bool = False


def resolve(message: str, history: Sequence[Turn], catalog: ProductCatalog) -> ResolvedMessage:
    """Read `message` against the conversation so far (oldest turn first)."""
    previous_questions = [t.text for t in history if t.role == "customer"]
    last_reply = next((t.text for t in reversed(history) if t.role == "assistant"), "")
    product = catalog.detect(message)
    if product is None:
        product = next((p for t in reversed(previous_questions) if (p := catalog.detect(t))), None)
    short = len(content_words(message)) <= _MAX_FOLLOW_UP_WORDS
    stands_alone = bool(_QUESTION_START.match(message)) and not _POINTER.search(message)
    # After "which one do you mean?", anything but a new question of its own is the choice.
    answers_our_question = is_clarification(last_reply) and not (stands_alone and not short)
    follow_up = bool(previous_questions) and (
        bool(_POINTS_BACK.match(message)) or (short and not stands_alone) or answers_our_question
    )
    # Whoever asked it (this bot, or a person earlier in the conversation), a question back
    # is answered by the next message: the bot goes on rather than asking again.
    answers_question = answers_our_question or last_reply.rstrip().endswith("?")
    if not follow_up:
        return ResolvedMessage(
            message.strip(),
            product,
            follow_up=False,
            still_stuck=False,
            answers_clarification=answers_question and bool(previous_questions),
        )
    return ResolvedMessage(
        query=_with_topic(message, _last_topic(previous_questions), product),
        product=product,
        follow_up=True,
        still_stuck=bool(_STILL_STUCK.search(message)),
        focus=message.strip(),
        previous_answer=last_reply,
        answers_clarification=answers_question,
    )


def _with_topic(message: str, topic: str, product: str | None) -> str:
    """The message, then the topic's content words and the product it does not name itself."""
    own = content_words(message)
    context = [w for w in content_word_list(topic) if w not in own]
    if product and product.lower() not in own and product.lower() not in context:
        context.append(product)
    return " ".join([message.strip(), *context]).strip()


def _last_topic(previous_questions: list[str]) -> str:
    """The most recent customer message that stood on its own (not itself a fragment)."""
    for text in reversed(previous_questions):
        if len(content_words(text)) > _MAX_FOLLOW_UP_WORDS:
            return text
    return previous_questions[-1] if previous_questions else ""
