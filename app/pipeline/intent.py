"""How the answer pipeline treats a customer message, read off the turn's triage.

Triage (app/pipeline/triage.py) is the one judge of what a customer wants and how they feel;
this module only adds the two things a chat needs that triage does not name (greetings and
thanks get a short reply, not a search) and maps the rest onto the pipeline's routes:

    human_request -> "human"      complaint -> "complaint"      anything else -> "question"

A question is answered from the index, which is the cheaper mistake: the customer can still
ask for a person.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from app.pipeline.types import Intent

if TYPE_CHECKING:
    from app.pipeline.triage import Triage

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


def asks_for_person(text: str) -> bool:
    """Whether the customer asks to talk to a human."""
    return bool(_HUMAN.search(text))


def answer_intent(triage: Triage, text: str) -> Intent:
    """The pipeline's route for a customer message whose triage is `triage`."""
    if triage.intent == "human_request":
        return "human"
    if triage.complaint:
        return "complaint"
    if _GREETING.match(text):
        return "greeting"
    if _THANKS.match(text):
        return "thanks"
    return "question"
