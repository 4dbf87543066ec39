"""Topics the company reserves for people: the bot hands these over instead of answering.

Each rule says what the matter *is*, not which words it uses:

- refund: the customer asks for money back (a request: "I want a refund", "refund me",
  "can I get a refund?"). A question about how refunds work ("How long does it take to get a
  refund?") is not a request and is answered from the knowledge base like any other.
- legal: lawyers, courts, regulators, data-protection rights.
- safety: a hazard to a person or a device happening now: smoke or flames from it, a burning
  smell, sparks, an electric shock, a swollen or leaking battery. The same words inside a
  name ("smoke test", "flame-retardant ceiling", "firewall") describe no hazard.

A company changes the rules here.
"""

from __future__ import annotations

import re
from typing import Literal

PolicyTopic = Literal["refund", "legal", "safety"]


def _rx(*alternatives: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{a})" for a in alternatives), re.IGNORECASE)


# Something is smoking, burning, sparking, shocking or swelling: an event, so each noun needs
# the words that make it one ("smoke coming out", "a burning smell"), never a bare noun that
# also names a test, a material or a product feature.
_HAZARD = _rx(
    r"\bsmok(?:ing|ed|es)\b(?!\s+(?:test|detector|alarm|free))",
    r"\bsmoke\b\s+(?:is\s+|was\s+)?(?:coming|came|pouring|poured|rising|rose|billowing|from|out)\b",
    r"\b(?:see|saw|seeing|there(?:'s| is| was)|some|white|black|grey|gray|puff of)\s+smoke\b",
    r"\bsmell(?:s|ed|ing)?\s+(?:of\s+|like\s+)?(?:smoke|burn(?:ing|t|ed)|melting)\b",
    r"\b(?:burn(?:ing|t)|melting|electrical)\s+(?:smell|odou?r|plastic)\b",
    r"\b(?:on fire|caught fire|catching fire|in flames|burst into flames|went up in flames)\b",
    r"\bflames?\s+(?:coming|came|from|out|shooting)\b",
    r"\bspark(?:ing|ed)\b|\bsparks\s+(?:fly|flew|flying|from|coming|came|out|when)\b",
    r"\b(?:an?\s+)?electric(?:al)?\s+shock\b(?!\s+(?:protection|rating|test))",
    r"\b(?:shocked|zapped)\s+(?:me|him|her|them|my)\b|\b(?:got|gave me|get)\s+an?\s+shock\b",
    r"\b(?:melted|melting)\b",
    r"\bbatter(?:y|ies)\b[^.?!]{0,30}\b(?:swollen|swelling|swelled|bulging|leaking|puffed"
    r"|puffing)\b",
    r"\b(?:swollen|swelling|bulging|leaking|puffed)\s+batter(?:y|ies)\b",
    r"\b(?:exploded|exploding|blew up)\b",
    r"\btoo hot to (?:touch|hold)\b",
)
_LEGAL = _rx(
    r"\b(?:lawyers?|attorney|solicitor|sue|suing|lawsuit|legal action|small claims"
    r"|(?:see|take|taking) (?:you|them|this|it) to court|court (?:case|action|order)"
    r"|trading standards|ombudsman|gdpr|data protection|subject access request)\b"
)
_MONEY_BACK = r"(?:refund|money back|compensation|compensated|reimburse(?:ment|d)?)"
# Asking for money back: a wish or demand of the writer's, a "can I have", or an imperative.
_REFUND_REQUEST = _rx(
    rf"\b(?:i|we)\b[^.?!]{{0,25}}\b(?:want|need|demand|expect|request|deserve|would like"
    rf"|'d like|am owed|are owed|am asking for|are asking for|am entitled to)\b[^.?!]{{0,30}}"
    rf"\b{_MONEY_BACK}",
    rf"\b(?:can|could|may)\s+(?:i|we)\s+(?:please\s+)?(?:get|have|receive|claim|request)\b"
    rf"[^.?!]{{0,20}}\b{_MONEY_BACK}",
    r"\b(?:refund|reimburse|compensate)\s+(?:me|us|my|our)\b",
    r"\b(?:give|send|pay)\s+(?:me|us)\b[^.?!]{0,20}\b(?:refund|money|back)\b",
    rf"\bplease\b[^.?!]{{0,30}}\b{_MONEY_BACK}|\b{_MONEY_BACK}\b[^.?!]{{0,15}}\bplease\b",
    r"\bmy money back\b|\bcharge ?back\b",
)

_TOPICS: tuple[tuple[PolicyTopic, re.Pattern[str]], ...] = (
    ("safety", _HAZARD),
    ("legal", _LEGAL),
    ("refund", _REFUND_REQUEST),
)

HANDOFF_TEXTS: dict[PolicyTopic, str] = {
    "refund": (
        "Refunds and compensation are handled by our support team, so I'm passing this "
        "conversation to a person. They will see everything you've written and reply here."
    ),
    "legal": (
        "That is something a person from our team needs to handle, so I'm passing this "
        "conversation on. They will see everything you've written and reply here."
    ),
    "safety": (
        "Safety comes first: if a device is hot, smoking or sparking, unplug it from the "
        "mains if you can do so safely and keep away from it. I've marked this conversation "
        "urgent for our support team; a person will reply here."
    ),
}


def policy_topic(text: str) -> PolicyTopic | None:
    """The reserved topic a customer message touches, most serious first, or None."""
    for topic, pattern in _TOPICS:
        if pattern.search(text):
            return topic
    return None
