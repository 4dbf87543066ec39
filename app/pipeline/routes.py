"""How the answer pipeline treats a customer message, read off the turn's triage.

Triage (app/pipeline/triage/) is the one judge of what a customer wants (the one intent
vocabulary, `app.pipeline.types.Intent`) and how they feel; this module only adds the two
things a chat needs that triage does not name (greetings and thanks get a short reply, not a
search) and maps the rest onto the pipeline's routes (`Route`):

    human_request -> "human"      complaint -> "complaint"      anything else -> "question"

A question is answered from the index, which is the cheaper mistake: the customer can still
ask for a person.
"""

from __future__ import annotations

import re

from app.pipeline.types import Route, Triage

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


def answer_route(triage: Triage, text: str) -> Route:
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
