"""Personal data out of text: what the logs and the fine-tuning set must not carry.

E-mail addresses, payment card numbers (Luhn-checked), IBANs (checksum-checked), phone
numbers, serial numbers and order numbers are found by the same patterns triage uses to pick
them out of customer messages (app/ground/patterns.py: what triage recognises as an identifier
is what we hide), and replaced by `[email]`, `[card]`, `[iban]`, `[phone]`, `[serial]` and
`[order]`; `scrub` also replaces people's names (spaCy's PERSON
entities) by `[name]`, which costs a model call, so the logs do without it.
"""

from __future__ import annotations

import re

from app.ground.ner import person_spans
from app.ground.patterns import (
    CARD,
    EMAIL,
    IBAN,
    ORDER,
    PHONE,
    SERIAL_BARE,
    SERIAL_NAMED,
    iban_valid,
    luhn_valid,
    plausible_phone,
)


def _replace_groups(pattern: re.Pattern[str], text: str, label: str) -> str:
    """Replace the identifier a pattern captured (its groups), keeping the words around it."""

    def swap(match: re.Match[str]) -> str:
        spans = [match.span(g) for g in range(1, (pattern.groups or 0) + 1) if match.group(g)]
        if not spans:
            return label
        whole, start = match.group(), match.start()
        out, last = [], 0
        for a, b in spans:
            out += [whole[last : a - start], label]
            last = b - start
        return "".join([*out, whole[last:]])

    return pattern.sub(swap, text)


def _phone(match: re.Match[str]) -> str:
    return "[phone]" if plausible_phone(match.group()) else match.group()


def _card(match: re.Match[str]) -> str:
    return "[card]" if luhn_valid(match.group()) else match.group()


def _iban(match: re.Match[str]) -> str:
    return "[iban]" if iban_valid(match.group()) else match.group()


def redact(text: str) -> str:
    """`text` with e-mail addresses, card numbers, IBANs, phone numbers, serial and order
    numbers replaced. Cards and IBANs go first: their digit groups would otherwise be read as
    phone or order numbers, leaving the rest of the number in place."""
    text = EMAIL.sub("[email]", text)
    text = CARD.sub(_card, text)
    text = IBAN.sub(_iban, text)
    text = _replace_groups(ORDER, text, "[order]")
    text = _replace_groups(SERIAL_NAMED, text, "[serial]")
    text = PHONE.sub(_phone, text)
    return SERIAL_BARE.sub("[serial]", text)


def scrub(text: str) -> str:
    """`redact(text)` with people's names replaced by `[name]` as well.

    Only spans spelled like names, and not right after a number, count: the small spaCy model
    also tags product names, units and menu items as people ("LA-6", "940 Mbps", "WPA3"), and
    hiding those would teach the fine-tuned model to write `[name]` for them.
    """
    text = redact(text)
    for start, end in reversed(person_spans(text)):
        after_a_number = _NUMBER_BEFORE.search(text[:start]) is not None  # "940 Mbps": a unit
        if not after_a_number and all(_NAME_WORD.fullmatch(w) for w in text[start:end].split()):
            text = text[:start] + "[name]" + text[end:]
    return text


# A capitalised word of letters ("Anna", "O'Brien", "McKay", "Jean-Luc"), lower-case after its
# first letter somewhere, with no digits: what a person's name looks like.
_NAME_WORD = re.compile(r"[A-Z][A-Za-z'’-]*[a-z][A-Za-z'’-]*")
_NUMBER_BEFORE = re.compile(r"\d\s*$")
