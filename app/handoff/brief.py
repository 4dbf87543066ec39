"""What an agent reads first about an escalated conversation: the brief.

Built from the transcript alone (each customer turn carries its triage in the message's
metadata, each bot answer its citations; texts as their authors wrote them, `as_written`),
so it can be rebuilt at any time and always agrees with what the customer actually said.
Priority is 1 (urgent) to 4 (low); the queue adds the waiting time on top
(`effective_priority`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.ground.render import plain
from app.ground.text import split_sentences
from app.handoff.summary import extractive_summary
from app.handoff.transcript import BriefTurn
from app.pipeline.triage.sentiment import sentiment_label

_SUGGESTION_CHARS = 160
_MARKER = re.compile(r"\s*\[\d+\]")
# A step's number or bullet at the start of a line ("1. ", "2) ", "- "): not a sentence.
_LIST_MARKER = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*+•])\s+", re.MULTILINE)


def as_written(role: str, stored: str) -> str:
    """A stored message's text as its author wrote it. The bot's answers are stored as the
    chat showed them, escaped Markdown (app.ground.render.inert); everyone else's as typed.
    The brief and the console quote the words, not the escapes (`1\\.`, `\\[1\\]`)."""
    return plain(stored) if role == "assistant" else stored


@dataclass(frozen=True)
class Brief:
    summary: str
    bot_suggested: str
    entities: list[dict[str, str]]
    sentiment: dict[str, Any]
    priority: int
    reasons: list[str] = field(default_factory=list)
    intent: str | None = None  # the company's intent of the latest turn that had one


def build_brief(turns: Sequence[BriefTurn], reasons: Sequence[str]) -> Brief:
    """The brief of a conversation escalated for `reasons` (oldest reason first)."""
    customer = [t for t in turns if t.role == "customer"]
    return Brief(
        summary=extractive_summary(turns, reasons),
        bot_suggested=_suggested(turns),
        entities=_entities(customer),
        sentiment=conversation_sentiment(customer),
        priority=priority(customer, reasons),
        reasons=list(dict.fromkeys(reasons)),
        intent=latest_intent(customer),
    )


def latest_intent(customer: Sequence[BriefTurn]) -> str | None:
    """The company's intent of the customer's latest turn that had one (what they want now)."""
    for turn in reversed(customer):
        intent = (turn.triage or {}).get("company_intent")
        if intent:
            return str(intent)
    return None


def _suggested(turns: Sequence[BriefTurn]) -> str:
    """One line per bot answer: its first sentence and the sources it cited."""
    lines = []
    for turn in turns:
        if turn.role != "assistant" or turn.kind not in ("answer", "abstain"):
            continue
        if turn.kind == "abstain":
            lines.append("- Could not find an answer in the documentation.")
            continue
        sentences = split_sentences(_LIST_MARKER.sub("", _MARKER.sub("", turn.text)))
        first = sentences[0] if sentences else turn.text
        cited = f" (sources: {'; '.join(dict.fromkeys(turn.sources))})" if turn.sources else ""
        lines.append(f"- {_clip(first, _SUGGESTION_CHARS)}{cited}")
    return "\n".join(lines) or "The bot has not suggested anything yet."


def _entities(customer: Sequence[BriefTurn]) -> list[dict[str, str]]:
    """Every identifier the customer gave, once, in the order given."""
    seen: dict[tuple[str, str], dict[str, str]] = {}
    for turn in customer:
        for entity in (turn.triage or {}).get("entities", []):
            key = (entity["kind"], entity["value"])
            seen.setdefault(key, {k: str(entity[k]) for k in ("kind", "text", "value")})
    return list(seen.values())


def _values(customer: Sequence[BriefTurn], kind: str) -> list[str]:
    return [e["value"] for e in _entities(customer) if e["kind"] == kind]


RECENT_TURNS = 3  # the mood an agent is warned of: the worst of the customer's last turns


def conversation_sentiment(customer: Sequence[BriefTurn]) -> dict[str, Any]:
    """The customer's sentiment over the conversation: per turn, mean, lowest, last, trend.

    The label is the worst of the last RECENT_TURNS turns when that one is negative: a furious
    message followed by "ok" is not a calm customer. The trend compares those recent turns with
    the ones before them (or, in a short conversation, the last turn with the first).
    """
    scores = [float(t.triage["sentiment_score"]) for t in customer if t.triage]
    if not scores:
        return {"turns": [], "mean": 0.0, "min": 0.0, "last": 0.0, "trend": "steady",
                "label": "neutral"}  # fmt: skip
    mean = sum(scores) / len(scores)
    recent, earlier = scores[-RECENT_TURNS:], scores[:-RECENT_TURNS]
    trend = "steady"
    if len(scores) >= 2:
        before = sum(earlier) / len(earlier) if earlier else scores[0]
        now = sum(recent) / len(recent) if earlier else scores[-1]
        change = now - before
        trend = "worsening" if change <= -0.2 else "improving" if change >= 0.2 else "steady"
    worst = min(recent)
    label = sentiment_label(worst)
    if label != "negative":
        label = sentiment_label(scores[-1])
    return {
        "turns": [round(s, 3) for s in scores],
        "mean": round(mean, 3),
        "min": round(min(scores), 3),
        "last": round(scores[-1], 3),
        "trend": trend,
        "label": label,
    }


def priority(customer: Sequence[BriefTurn], reasons: Sequence[str]) -> int:
    """1 (urgent) .. 4 (low), from the reason, how the customer feels and what they gave.

    Safety and legal matters are urgent; strong anger, a threat to leave or a worsening mood
    raise the level; a plain request for a person with nothing at stake stays low. An order,
    serial or RMA number means money or hardware is involved: one level up.
    """
    triages = [t.triage for t in customer if t.triage]
    signals = {s for tr in triages for s in tr.get("signals", [])}
    topics = {t.topic for t in customer if t.topic}
    level = 3
    if "policy_topic" in reasons:
        level = 1 if topics & {"safety", "legal"} else 2
    if "complaint" in reasons or "repeated_failure" in reasons or "repeated_problem" in reasons:
        level = min(level, 2)
    sentiment = conversation_sentiment(customer)
    if sentiment["min"] <= -0.6 or "churn_threat" in signals:
        level -= 1
    if any(e["kind"] in ("order", "serial", "rma") for e in _entities(customer)):
        level -= 1
    if reasons and set(reasons) <= {"asked_for_human"} and sentiment["min"] > -0.05:
        level = max(level, 3)
    return max(1, min(4, level))


def effective_priority(base: int, queued_at: datetime, now: datetime, aging_minutes: int) -> int:
    """The priority a queued conversation has now: one level up per `aging_minutes` waited."""
    waited = max(0.0, (now - queued_at).total_seconds()) / 60
    return max(1, base - int(waited // aging_minutes))


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
