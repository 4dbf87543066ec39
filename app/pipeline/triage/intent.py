"""The customer's intent: what kind of help they want from this turn.

A value of the one intent vocabulary (`app.pipeline.types.Intent`): a person, a complaint,
their account or bill, a fault to troubleshoot, a question, or something else. The answer
pipeline reads its route off this (app/pipeline/routes.py).
"""

from __future__ import annotations

import re

from app.pipeline.triage.complaint_patterns import QUESTION
from app.pipeline.types import Intent

# Someone who asks for a person: "let me talk to an agent", "can a person help me?", "I want a
# human", "agent!". A person named as the subject of a how-to ("how does a guest reach the
# printer?") or a product's word ("the agent software") is no such request.
_PERSON = (
    r"(?:a\s+|an\s+|one of your\s+|your\s+)?(?:real\s+|live\s+|actual\s+)?"
    r"(?:person|human|agent|representative|rep|operator|staff member|technician)\b"
)
_HUMAN = re.compile(
    r"\b(talk|speak|chat|connect me|put me through|transfer me)\b.{0,30}"
    r"\b(person|human|agent|someone|somebody|representative|rep|operator|staff|engineer)\b"
    r"|\b(human|live|real)\s+(agent|person|support|being)\b"
    r"|^\s*(agent|human|operator|representative)\s*[.!?]*\s*$"
    rf"|\b(can|could|would|will|may)\s+(?:i\s+(?:get|have)\s+)?{_PERSON}[^.?!]{{0,25}}"
    r"\b(help|call|contact|ring|assist|look at|take over|handle|get back|reply|respond)\b"
    rf"|\b(?:i|we)\s*(?:'d|would)?\s+(?:want|need|like|prefer)\s+(?:to have\s+)?{_PERSON}"
    rf"|\b(?:get|give)\s+me\s+{_PERSON}",
    re.IGNORECASE,
)


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


def asks_for_person(text: str) -> bool:
    """Whether the customer asks to talk to a human."""
    return bool(_HUMAN.search(text))


_BILLING = _rx(
    r"\b(?:bill(?:s|ed|ing)?|invoices?|charged?|charges|charging|overcharg\w*|refund\w*"
    r"|payments?|pay|paid|paying|subscription|account|password|log ?in|sign ?in|card"
    r"|plan|prices?|pricing|fees?|direct debit|debit(?:ed|ing)?|receipt|balance|renew\w*"
    r"|upgrade|downgrade|contract|overdraft|statement)\b"
)
_TROUBLE = _rx(
    r"\b(?:not working|doesn't work|does not work|won't|can't|cannot|error|broken|fail\w*"
    r"|crash\w*|stuck|keeps? \w+ing|reset|restart|reboot|issue|problem|fix|blink\w*"
    r"|no (?:signal|internet|connection|power|sound)|offline|disconnect\w*|slow"
    r"|drop(?:s|ped|ping)? out|outage|down|won't turn on)\b"
)


def intent_of(text: str, clean: str, *, complaint: bool) -> Intent:
    """The customer's goal: a person, a complaint, their account, a fault, a question."""
    if asks_for_person(text):
        return "human_request"
    if complaint:
        return "complaint"
    if _BILLING.search(clean):
        return "account_billing"
    if _TROUBLE.search(clean):
        return "troubleshooting"
    if QUESTION.search(clean):
        return "faq"
    return "other"
