"""What a customer message asks for, by rules: fast, predictable, and the fallback when a
model is configured but unavailable.

Only clear signals leave the default "question": a request for a person, a short greeting or
thanks, or the unmistakable words of a complaint. Anything else is answered from the index,
which is the cheaper mistake (the customer can still ask for a person).
"""

from __future__ import annotations

import re

from app.pipeline.types import Intent

_HUMAN = re.compile(
    r"\b(talk|speak|chat|connect me|put me through|transfer me)\b.{0,30}"
    r"\b(person|human|agent|someone|somebody|representative|rep|operator|staff|engineer)\b"
    r"|\b(human|live|real)\s+(agent|person|support|being)\b"
    r"|^\s*(agent|human|operator|representative)\s*[.!?]*\s*$",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^\s*(hi|hello|hey|hiya|good (morning|afternoon|evening)|greetings)\b[\s!.,]*"
    r"(there|team|all|folks)?[\s!.,]*$",
    re.IGNORECASE,
)
_THANKS = re.compile(
    r"^\s*(thanks|thank you|thx|cheers|great,? thanks|ok,? thanks|that (worked|fixed it))"
    r"\b[\w\s!.,]{0,20}$",
    re.IGNORECASE,
)
_COMPLAINT = re.compile(
    r"\b(unacceptable|ridiculous|outrageous|disgusting|furious|fed up|sick of|worst|"
    r"rip-?off|scam|useless|terrible|awful|horrible|appalling|pathetic|incompetent|"
    r"waste of (money|time)|want (a|my) refund|cancel my (order|subscription|account)|"
    r"file a complaint|complain(t|ing)?|lawyer|legal action|never (buy|buying|again))\b",
    re.IGNORECASE,
)


def classify_intent(text: str) -> Intent:
    """The rule-based intent of one customer message."""
    if _HUMAN.search(text):
        return "human"
    if _COMPLAINT.search(text):
        return "complaint"
    if _GREETING.match(text):
        return "greeting"
    if _THANKS.match(text):
        return "thanks"
    return "question"
