"""Personal identifiers in the forms customers write them: found by triage, hidden by redaction.

One table, read both ways: every row that is an identifier must come out of `extract_entities`
with its kind and out of `redact` as its placeholder; every row that is not (error codes,
versions, addresses, dates, numbers that fail their checksum) must stay as written.
"""

from __future__ import annotations

import pytest

from app.ground.patterns import iban_valid, luhn_valid, masked
from app.ground.redaction import redact
from app.pipeline.triage.entities import extract_entities

IDENTIFIERS = [
    # phones: North American with spaces, dashes, dots, parentheses, a leading 1
    ("call me on 415 555 2671 please", "phone", "[phone]"),
    ("call me on 415-555-2671 please", "phone", "[phone]"),
    ("call me on 415.555.2671 please", "phone", "[phone]"),
    ("call me on (415) 555-2671 please", "phone", "[phone]"),
    ("call me on 1 415 555 2671 please", "phone", "[phone]"),
    # a local number with its hyphen
    ("my desk line is 555-1234 after noon", "phone", "[phone]"),
    # international and national forms
    ("ring +44 20 7946 0958 tomorrow", "phone", "[phone]"),
    ("ring +1-415-555-2671 tomorrow", "phone", "[phone]"),
    ("ring +49 (0)30 901820 tomorrow", "phone", "[phone]"),
    ("ring 020 7946 0958 tomorrow", "phone", "[phone]"),
    # payment cards (test numbers of the card schemes, all Luhn-valid)
    ("card 4111 1111 1111 1111 was charged twice", "card", "[card]"),
    ("card 4111-1111-1111-1111 was charged twice", "card", "[card]"),
    ("card 5555555555554444 was charged twice", "card", "[card]"),
    ("card 3782 822463 10005 was charged twice", "card", "[card]"),
    # IBANs, grouped and compact
    ("refund to DE89 3704 0044 0532 0130 00 please", "iban", "[iban]"),
    ("refund to GB82WEST12345698765432 please", "iban", "[iban]"),
    ("refund to FR14 2004 1010 0505 0001 3M02 606 please", "iban", "[iban]"),
]

NOT_IDENTIFIERS = [
    "firmware 3.2.1045 fails with error E-17",
    "the router at 192.168.1.1 keeps rebooting",
    "it started on 2026-12-04 at 02:00:01",
    "model LR-200 and switch LS-24P",
    "card 4111 1111 1111 1112 was charged twice",  # fails the Luhn check
    "refund to DE89 3704 0044 0532 0130 01 please",  # fails the IBAN check
    "it costs 1,299.00 with 12 ports",
    "ticket 1234 5678 9012 3 and 42 more",  # digits in no card's layout
]


@pytest.mark.parametrize(("text", "kind", "placeholder"), IDENTIFIERS)
def test_each_format_is_found_and_hidden(text: str, kind: str, placeholder: str) -> None:
    kinds = [e.kind for e in extract_entities(text)]
    assert kind in kinds, (text, kinds)
    hidden = redact(text)
    assert placeholder in hidden, hidden
    assert not any(ch.isdigit() for ch in hidden), hidden  # no part of the number is left


@pytest.mark.parametrize("text", NOT_IDENTIFIERS)
def test_other_numbers_stay_as_written(text: str) -> None:
    kinds = {e.kind for e in extract_entities(text)}
    assert not kinds & {"phone", "card", "iban"}, (text, kinds)
    assert redact(text) == text


def test_cards_and_ibans_are_kept_masked_even_in_the_entity() -> None:
    entities = extract_entities("charged on 4111 1111 1111 1111, refund to GB82WEST12345698765432")
    card = next(e for e in entities if e.kind == "card")
    iban = next(e for e in entities if e.kind == "iban")
    assert card.text == card.value == "••••••••••••1111"
    assert iban.value.startswith("GB") and iban.value.endswith("5432")
    assert "1111 1111" not in card.text and "WEST1234" not in iban.text


def test_the_checks_themselves() -> None:
    assert luhn_valid("4111 1111 1111 1111") and not luhn_valid("4111 1111 1111 1112")
    assert not luhn_valid("4111 1111")  # too short to be a card
    assert iban_valid("DE89 3704 0044 0532 0130 00") and not iban_valid(
        "DE00 3704 0044 0532 0130 00"
    )
    assert masked("4111-1111-1111-1234") == "••••••••••••1234"
