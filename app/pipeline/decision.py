"""Whether to answer a customer turn, and who else should see it.

Before any search, some turns are not questions for the index: a request for a person and a
topic reserved for people are handed over, a greeting or thanks gets a short reply
(`direct_reply`). After retrieval the evidence decides (`decide`): too weak, or silent on a
technical term the question hinges on, and the bot says it does not know; about several
products when the customer named none, and it asks which one; about different things (other
documents' titles) that nothing in the conversation chooses between, and it asks which one
is meant (app/pipeline/options.py); otherwise it answers. A reply to such a question is
answered, never asked again. Whether
a person should take over is decided alongside (`escalation_for`).

Generators never make these decisions: they only word an answer the pipeline chose to give.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.ground.config import AnswerSettings
from app.ground.products import ProductCatalog
from app.pipeline.conversation import ResolvedMessage
from app.pipeline.coverage import missing_terms
from app.pipeline.options import options_in_doubt
from app.pipeline.policy import HANDOFF_TEXTS, policy_topic
from app.pipeline.replies import (
    GREETING_TEXT,
    HANDOFF_TEXT,
    THANKS_TEXT,
    abstain_text,
    which_one,
    which_product,
)
from app.pipeline.retrieval import RetrievedPassage
from app.pipeline.triage import Triage
from app.pipeline.types import Escalation, Route, Turn

# Cosine similarity of MiniLM embeddings: unrelated texts score ~0-0.2, a paraphrase of a
# passage's topic 0.5 and up. Confidence maps this range onto 0..1.
COSINE_NONE = 0.15
COSINE_SURE = 0.65


@dataclass(frozen=True)
class DirectReply:
    """A turn answered without searching: a handoff or small talk."""

    kind: Literal["handoff", "smalltalk"]
    text: str
    escalation: Escalation | None = None


@dataclass(frozen=True)
class Decision:
    """What retrieval allows: abstain or clarify (with the text to say), or answer."""

    kind: Literal["abstain", "clarify", "answer"]
    confidence: float
    text: str = ""  # the reply for abstain and clarify
    clarify_products: tuple[str, ...] = ()
    clarify_options: tuple[str, ...] = ()  # what the customer may answer (products or titles)


def direct_reply(intent: Route, message: str) -> DirectReply | None:
    """The reply to a turn that needs no search, or None for a question to look up."""
    if intent == "human":
        asked = Escalation("asked_for_human", "The customer asked for a person.")
        return DirectReply("handoff", HANDOFF_TEXT, asked)
    topic = policy_topic(message)
    if topic is not None:
        reserved = Escalation(
            "policy_topic", f"A {topic} matter, which people handle.", topic=topic
        )
        return DirectReply("handoff", HANDOFF_TEXTS[topic], reserved)
    if intent in ("greeting", "thanks"):
        return DirectReply("smalltalk", GREETING_TEXT if intent == "greeting" else THANKS_TEXT)
    return None


def decide(
    message: str,
    resolved: ResolvedMessage,
    retrieved: list[RetrievedPassage],
    catalog: ProductCatalog,
    settings: AnswerSettings,
    history: Sequence[Turn] = (),
) -> Decision:
    """Abstain, ask which product or which one, or answer, from what retrieval found for
    `message` (`history`: the conversation before it, oldest first)."""
    confidence = retrieval_confidence(retrieved)
    missing = missing_terms(message, retrieved, catalog)
    if confidence < settings.min_confidence or missing:
        # Not an escalation by itself: the customer is offered a person, and a second
        # failure in the conversation escalates (app/handoff).
        return Decision("abstain", confidence, abstain_text(missing))
    if resolved.answers_clarification:
        return Decision("answer", confidence)
    ambiguous = [] if resolved.product else products_in_doubt(retrieved, settings.ambiguity_ratio)
    if ambiguous:
        products = tuple(ambiguous)
        return Decision("clarify", confidence, which_product(ambiguous), products, products)
    if not settings.ask_which_one:
        return Decision("answer", confidence)
    conversation = [
        message,
        resolved.product or "",
        *(t.text for t in history if t.role == "customer"),
    ]
    options = options_in_doubt(retrieved, conversation, settings.ambiguity_ratio)
    if options:
        return Decision("clarify", confidence, which_one(options), clarify_options=tuple(options))
    return Decision("answer", confidence)


def retrieval_confidence(retrieved: list[RetrievedPassage]) -> float:
    """How sure retrieval is that the top passages are about the question (0..1)."""
    cosines = [r.dense_score for r in retrieved[:3] if r.dense_score is not None]
    if not cosines:
        return 0.0
    scaled = (max(cosines) - COSINE_NONE) / (COSINE_SURE - COSINE_NONE)
    return min(1.0, max(0.0, scaled))


def products_in_doubt(retrieved: list[RetrievedPassage], ambiguity_ratio: float) -> list[str]:
    """Products whose passages compete for the top, when no product was named.

    Contenders are the best three passages scoring close to the best one. Only when all of
    them are product-specific: a generic passage among them means the answer does not
    depend on the product.
    """
    if not retrieved:
        return []
    bar = ambiguity_ratio * retrieved[0].score
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
    close = [p for p in ranked if best[p] >= ambiguity_ratio * leader]
    return close if len(close) >= 2 else []


def escalation_for(
    intent: Route, turn: Triage, resolved: ResolvedMessage, history: Sequence[Turn]
) -> Escalation | None:
    """Why a person should take over this turn, or None."""
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
