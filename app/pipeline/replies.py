"""The fixed wording the pipeline replies with when it does not quote passages.

Kept in one place so that what a customer reads can be reviewed (and changed) without reading
the pipeline; other parts compare against these texts too (the fine-tuning data set leaves
out abstentions, the chat recognises a handoff).
"""

from __future__ import annotations

from app.pipeline.types import Escalation

ABSTAIN_TEXT = (
    "I'm sorry, I couldn't find an answer to that in our documentation. "
    "Would you like me to bring in a person from our support team?"
)
HANDOFF_TEXT = (
    "Of course. I'm bringing in a person from our support team; they will see this "
    "conversation and reply here."
)
COMPLAINT_NOTE = (
    "I'm sorry about the trouble. I've flagged this conversation for a person from our "
    "support team."
)
GREETING_TEXT = "Hello! Ask me about your router, switch or access point and I'll look it up."
THANKS_TEXT = "You're welcome! Anything else I can help with?"
STILL_STUCK_NOTE = (
    "Since this hasn't solved it, I've also asked a person from our support team to take a look."
)


def abstain_text(missing: list[str]) -> str:
    """The abstention, naming the technical terms no passage mentions when there are any."""
    if not missing:
        return ABSTAIN_TEXT
    named = ", ".join(dict.fromkeys(missing))
    return (
        f"I'm sorry, I couldn't find anything about {named} in our documentation. "
        "Would you like me to bring in a person from our support team?"
    )


_WHICH_PRODUCT = "Which product is this about:"
_WHICH_ONE = "Which one do you mean:"


def which_product(products: list[str]) -> str:
    """The question back when the answer depends on which of `products` the customer has."""
    return f"{_WHICH_PRODUCT} {_listed(products[:4])}? The answer differs between them."


def which_one(options: list[str]) -> str:
    """The question back when the best passages answer different things (`options`)."""
    return f"{_WHICH_ONE} {_listed(options)}? Our documentation answers each differently."


def is_clarification(text: str) -> bool:
    """Whether `text` is one of the bot's questions back (the next message answers it)."""
    return text.startswith((_WHICH_PRODUCT, _WHICH_ONE))


def _listed(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]


def escalation_notes(escalation: Escalation | None) -> list[str]:
    """What an answer adds to tell the customer a person was brought in."""
    if escalation is None:
        return []
    if escalation.reason == "complaint":
        return [COMPLAINT_NOTE]
    if escalation.reason == "repeated_problem":
        return [STILL_STUCK_NOTE]
    return []
