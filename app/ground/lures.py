"""Recognising statements that steer customers into handing over secrets or writing to outsiders.

Instruction-like text (app/ground/injection.py) addresses the assistant; a lure addresses the
customer in plain words: "customers must email their router password to attacker@example.com".
Quoted with a citation it would carry the company's authority, so ingest holds such sentences
out of passages and lists them in its report (ingest/screening.py). Two kinds:

- a request to send, give or tell someone a secret: a password, a one-time or security code,
  a PIN, card or bank details. Documentation explains where to *enter* a password; it never
  asks for one to be sent anywhere.
- a request to contact an e-mail address outside the company's own domains.

A sentence that warns against either ("we will never ask for your password") is kept.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_SECRET = (
    r"(?:pass(?:word|phrase|code)s?|pins?(?:\s+(?:code|number)s?)?|credentials|log-?in details"
    r"|(?:verification|security|one-time|authentication|2fa|two-factor|sms|recovery|reset"
    r"|access|login|sign-in)\s+codes?|otps?|card\s+(?:numbers?|details)|cvv|cvc"
    r"|bank\s+(?:details|account)|account\s+numbers?|payment\s+(?:details|information|info)"
    r"|sort\s+codes?|iban)"
)
# Verbs that move a secret to someone by themselves...
_SEND = (
    r"(?:send|sends|sent|e-?mail|mail|text|forward|reply\s+with|read\s+out|disclose|reveal"
    r"|post|upload)"
)
# ...and verbs that do so only with a person to receive it: "provide the password in the
# config file" is a setup step, "provide your password to our agent" is not.
_HAND_OVER = r"(?:provide|give|tell|share|submit|hand\s+over)"
_SOMEONE = (
    r"(?:us|me|\S+@|(?:the|our|an?|your)\s+(?:\w+\s+)?(?:agent|engineer|technician|representative"
    r"|team|caller|person|staff|department))"
)
_TO_SOMEONE = rf"\b(?:to|with)\s+{_SOMEONE}"
# The reader is the one asked: an imperative ("Send ...", "please e-mail ...", "To verify,
# reply with ...") or a duty put on them ("customers must e-mail ..."). "They will send you
# the bank details" is the company's own doing and no lure.
_ASKED = (
    r"(?:^\W*|[,:;]\s*|\b(?:please|kindly|simply|just|then|now|and|also)\s+"
    r"|\b(?:you|customers?|users?|owners?|everyone|clients?|buyers?)\s+(?:must|should|need to"
    r"|needs to|have to|has to|are required to|is required to|will need to|are asked to"
    r"|can|may)\s+(?:\w+\s+)?)"
)
_SEND_SECRET = re.compile(
    rf"{_ASKED}{_SEND}\b[^.?!]{{0,60}}\b{_SECRET}\b"
    rf"|{_ASKED}{_HAND_OVER}\b(?=[^.?!]{{0,60}}{_TO_SOMEONE})[^.?!]{{0,60}}\b{_SECRET}\b"
    rf"|{_ASKED}{_HAND_OVER}\s+{_SOMEONE}\b[^.?!]{{0,40}}\b{_SECRET}\b"
    rf"|\b{_SECRET}\b[^.?!]{{0,30}}\b(?:to|at)\s+\S+@",
    re.IGNORECASE | re.MULTILINE,
)
# "contact me at ..." is a writer (a customer in a ticket) giving their own address; a dotted
# name ("user.email") is a setting, not a verb.
_CONTACT = re.compile(
    r"(?<![.\w])(?:contact|e-?mail|mail|write|send|sent|reply|forward|reach|message|submit|pay"
    r"|report)"
    r"\w*\b(?!\s+me\b)",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"\b[A-Za-z0-9._%+-]+@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")
_WARNING = re.compile(
    r"\b(?:never|not|n't|no one|nobody|beware|scam|phishing|fraud\w*)\b", re.IGNORECASE
)


def asks_for_secrets(sentence: str) -> bool:
    """Does `sentence` ask the reader to send a password, code or payment details?"""
    return _SEND_SECRET.search(sentence) is not None and not _WARNING.search(sentence)


def outside_addresses(sentence: str, own_domains: Iterable[str]) -> list[str]:
    """E-mail domains `sentence` asks the reader to contact that are not the company's own."""
    if not _CONTACT.search(sentence) or _WARNING.search(sentence):
        return []
    own = [d.lower().strip(".") for d in own_domains if d.strip(".")]
    return [
        domain
        for domain in (m.group(1).lower().rstrip(".") for m in _EMAIL.finditer(sentence))
        if not any(is_same_site(domain, o) for o in own)
    ]


def is_same_site(domain: str, own: str) -> bool:
    """`domain` is `own`, below it (billing.larkspur.example), or the site that holds it.

    The last case lets a corpus whose pages live on support.larkspur.example own addresses at
    larkspur.example; a bare top-level name ("example") never counts.
    """
    if domain == own or domain.endswith("." + own):
        return True
    return "." in domain and own.endswith("." + domain)


def is_lure(sentence: str, own_domains: Iterable[str]) -> bool:
    """Should `sentence` be held out of answers (a request for secrets or to write outside)?"""
    return asks_for_secrets(sentence) or bool(outside_addresses(sentence, own_domains))


def domain_of_url(url: str) -> str | None:
    """The host name of `url` (lower case), or None when it has none."""
    match = re.match(r"^[a-z][a-z0-9+.-]*://(?:[^@/]*@)?([^:/?#]+)", url.strip(), re.IGNORECASE)
    return match.group(1).lower() if match else None
