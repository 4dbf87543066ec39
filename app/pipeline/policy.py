"""Topics the company reserves for people: the bot hands these over instead of answering.

Requests for refunds or compensation, anything legal, and anything that could hurt someone.
The lists are deliberately narrow (a customer asking how to *reset* a device is not a safety
matter); a company changes them here.
"""

from __future__ import annotations

import re
from typing import Literal

PolicyTopic = Literal["refund", "legal", "safety"]

_TOPICS: tuple[tuple[PolicyTopic, re.Pattern[str]], ...] = (
    (
        "safety",
        re.compile(
            r"\b(smok(e|ing|ed)|on fire|caught fire|flames?|burn(ing|t|ed)? (smell|plastic)|"
            r"smell(s|ing)? (of )?burn(ing|t)|sparks?|sparking|electric(al)? shock|shocked me|"
            r"melt(ed|ing)|"
            r"swollen battery|battery (is )?(swelling|swollen|leaking)|explod\w*)\b",
            re.IGNORECASE,
        ),
    ),
    (
        "legal",
        re.compile(
            r"\b(lawyers?|attorney|solicitor|sue|suing|lawsuit|legal action|small claims|"
            r"(see|take|taking) (you|them|this|it) to court|court (case|action|order)|"
            r"trading standards|ombudsman|gdpr|data protection|subject access request)\b",
            re.IGNORECASE,
        ),
    ),
    (
        # Asking for money back, not asking how refunds work ("how long do refunds take?"
        # is answered from the knowledge base).
        "refund",
        re.compile(
            r"\b((want|need|demand|request|requesting|get|give|issue|expect|asking for|ask for)"
            r"\b.{0,25}\b(refund|money back|compensation)|refund (me|us|my|the)|my money back|"
            r"chargeback|charge back|compensat(e|ion) (me|us|for)|reimburse (me|us))\b",
            re.IGNORECASE,
        ),
    ),
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
