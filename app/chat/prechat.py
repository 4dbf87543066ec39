"""The pre-chat form: a customer the chat knows nothing about is asked for their name and
e-mail address before their first message (`chat.prechat_form`, off by default).

It is asked in the chat itself, one question at a time, and answered in the chat's own input
(so it works the same in the full page and the widget, with the keyboard and a screen
reader, and needs no page of its own). The answers never become messages of a conversation:
the socket gate (app/chat/gate.py) hands them here before Chainlit sees them, and the
questions are shown without being stored, so the transcript, its first question and
everything learned from transcripts stay free of them. What is kept is the checked name and
address on the customer (app/ground/contact.py), which the console shows agents; a customer
whose site passed a name or e-mail in its signed token (app/chat/site_login.py) is not asked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.ground.contact import ContactError, clean_email, clean_name

ASK_NAME = (
    "Before we start, may I have your name? Please type it below, so our team knows who "
    "they are talking to if you need a person."
)
ASK_EMAIL = "Thank you, {name}. And your e-mail address, in case we need to get back to you?"
ASK_EMAIL_AGAIN = "Please type your e-mail address, like name@example.com."
READY = "Thanks, {name}. How can I help you today?"
NOT_A_NAME = "That looks like a question; I'll take it in a moment."

FORM_KEY = "prechat_form"  # the form's state in the Chainlit user session


@dataclass(frozen=True)
class FormState:
    stage: Literal["name", "email"]
    name: str | None = None


@dataclass(frozen=True)
class FormStep:
    """What one answer did: the reply to show, the form's next state (None once complete)
    and, when complete, the checked name and address."""

    reply: str
    state: FormState | None
    name: str | None = None
    email: str | None = None


def take_answer(state: FormState, text: str) -> FormStep:
    """The customer's answer to the form's current question."""
    if state.stage == "name":
        try:
            name = _name(text)
        except ContactError as error:
            return FormStep(f"{error} {ASK_NAME}", state)
        return FormStep(ASK_EMAIL.format(name=name), FormState("email", name))
    try:
        email = clean_email(text)
    except ContactError as error:
        return FormStep(f"{error} {ASK_EMAIL_AGAIN}", state)
    return FormStep(READY.format(name=state.name), None, state.name, email)


def _name(text: str) -> str:
    if "?" in text:  # a question typed straight away, not a name
        raise ContactError(NOT_A_NAME)
    return clean_name(text)
