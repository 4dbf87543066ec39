"""The handoff summary an agent reads first, taken from the transcript (no model needed):
what the customer's problem is, what was tried, and what they want now.

- Problem: the customer's first substantive message (three words or more), whole sentences
  up to a length, with the product they named.
- Tried: what the bot answered (the sources it cited) or that it found nothing, and what the
  customer said after it (their later messages, first sentence each): the part an agent would
  otherwise scroll the transcript for.
- Wants: why the conversation came to people (the escalation reasons, and the topic a
  reserved matter raised), and the company intent of their latest message when triage knew it.

Every part quotes the customer or names a fact of the conversation; nothing is paraphrased,
so the summary can never say something the customer did not. With a model server, the model
may write a shorter one (issue: the handoff summary written by the model); this stays the
fallback.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.ground.text import split_sentences
from app.handoff.transcript import BriefTurn

PROBLEM_CHARS = 280
LATER_CHARS = 160
LATER_MESSAGES = 2  # the customer's most recent messages after the bot's first answer
WANTS = {
    "asked_for_human": "asked to talk to a person",
    "complaint": "has a complaint",
    "repeated_problem": "says the suggested fix did not help",
    "repeated_failure": "the bot could not answer twice",
}
TOPIC_WANTS = {"refund": "a refund", "legal": "a legal matter", "safety": "a safety concern"}


def extractive_summary(turns: Sequence[BriefTurn], reasons: Sequence[str]) -> str:
    customer = [t for t in turns if t.role == "customer" and t.text.strip()]
    if not customer:
        return ""
    substantive = [t for t in customer if len(t.text.split()) >= 3] or customer
    lines = [f"Problem: {_clip_sentences(substantive[0].text, PROBLEM_CHARS)}"]
    products = _products(customer)
    if products:
        lines.append(f"Product: {', '.join(products)}")
    tried = _tried(turns, first=substantive[0])
    if tried:
        lines.append(f"Tried: {tried}")
    wants = _wants(customer, reasons)
    if wants:
        lines.append(f"Wants: {wants}")
    return "\n".join(lines)


def _tried(turns: Sequence[BriefTurn], first: BriefTurn) -> str:
    """The bot's answers (by source) and what the customer said after the first of them."""
    answers = [t for t in turns if t.role == "assistant" and t.kind in ("answer", "abstain")]
    parts: list[str] = []
    sources = list(dict.fromkeys(s for t in answers if t.kind == "answer" for s in t.sources))
    answered = sum(t.kind == "answer" for t in answers)
    if answered:
        cited = f" from {'; '.join(sources)}" if sources else ""
        parts.append(f"the bot answered {answered} time(s){cited}")
    if any(t.kind == "abstain" for t in answers):
        parts.append("the bot found no answer in the documentation")
    if answers:
        after_first = turns[turns.index(answers[0]) + 1 :]
        later = [t for t in after_first if t.role == "customer" and t is not first]
        quotes = [f'"{_first_sentence(t.text, LATER_CHARS)}"' for t in later[-LATER_MESSAGES:]]
        if quotes:
            parts.append("then the customer wrote " + " and ".join(quotes))
    return "; ".join(parts)


def _wants(customer: Sequence[BriefTurn], reasons: Sequence[str]) -> str:
    wants = [WANTS[r] for r in dict.fromkeys(reasons) if r in WANTS]
    topics = [TOPIC_WANTS[t.topic] for t in customer if t.topic in TOPIC_WANTS]
    if "policy_topic" in reasons and topics:
        wants.append(f"raised {topics[-1]}")
    intent = next(
        (str((t.triage or {}).get("company_intent")) for t in reversed(customer)
         if (t.triage or {}).get("company_intent")),
        None,
    )  # fmt: skip
    if intent:
        wants.append(f"latest message reads as {intent.replace('_', ' ')}")
    return "; ".join(wants)


def _products(customer: Sequence[BriefTurn]) -> list[str]:
    found: dict[str, None] = {}
    for turn in customer:
        for entity in (turn.triage or {}).get("entities", []):
            if entity.get("kind") in ("product", "model"):
                found.setdefault(str(entity["value"]), None)
    return list(found)


def _clip_sentences(text: str, limit: int) -> str:
    """Whole sentences from the start up to `limit` characters (at least the first, cut)."""
    kept: list[str] = []
    for sentence in split_sentences(" ".join(text.split())):
        if kept and len(" ".join([*kept, sentence])) > limit:
            break
        kept.append(sentence)
    joined = " ".join(kept) or " ".join(text.split())
    return joined if len(joined) <= limit else joined[: limit - 1].rstrip() + "…"


def _first_sentence(text: str, limit: int) -> str:
    sentences = split_sentences(" ".join(text.split()))
    first = sentences[0] if sentences else text.strip()
    return first if len(first) <= limit else first[: limit - 1].rstrip() + "…"
