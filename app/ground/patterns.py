"""The patterns of personal identifiers: e-mail addresses, phone numbers, payment cards, IBANs,
serial and order numbers.

Two jobs need the very same patterns: triage picks these identifiers out of customer messages
(app/pipeline/triage/entities.py), and redaction hides them from logs and the fine-tuning set
(app/ground/redaction.py). What triage recognises as an identifier is what we hide, so both
import them from here; plain `re`, nothing else, so that logging loads no language model.
"""

from __future__ import annotations

import re

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
# The number is the captured group (either one); the words around it ("order #") are context.
ORDER = re.compile(
    r"\b(ORD-[A-Z0-9-]*\d[A-Z0-9-]*)"
    r"|\b(?:order|booking|reservation)\s*(?:no\.?|number|num|id|ref(?:erence)?)?\s*"
    r"(?:is\s+)?[:#]?\s*#?\s*([A-Z0-9-]*\d[A-Z0-9-]*)",
    re.IGNORECASE,
)
SERIAL_NAMED = re.compile(
    r"\b(?:S/N|SN|serial(?:\s+(?:no\.?|number|#))?)\s*(?:is\s+)?[:#]?\s*([A-Z0-9][A-Z0-9-]{4,24})",
    re.IGNORECASE,
)
# A bare code in capitals, 8-16 characters, with letters and digits: what serials look like.
SERIAL_BARE = re.compile(r"(?<![\w-])(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{8,16}(?![\w-])")
# A candidate only: `plausible_phone` decides by the number of digits. The forms: international
# (+44 20 7946 0958), North American with parentheses or separators (415 555 2671,
# 415-555-2671, (415) 555-2671), a national number with a trunk 0 (020 7946 0958), and a
# seven-digit local number written with its hyphen (555-1234).
PHONE = re.compile(
    r"(?<![\w+/.:-])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"|(?:1[\s.-])?\(\d{3}\)\s?\d{3}[\s.-]?\d{4}"
    r"|(?:1[\s.-])?\d{3}([\s.-])\d{3}\1\d{4}"
    r"|0\d{2,4}[\s-]\d{3,4}[\s-]?\d{3,4}"
    r"|\d{3}-\d{4}"
    r")(?![\w-]|[.:]\d)"
)
# Payment card numbers as cards print them: 13-19 digits in one run, four groups of four (a
# fifth of three for 19 digits), or 4-6-5 / 4-6-4 (American Express, Diners), separated by
# spaces or hyphens; not the digits after an IBAN's head ("DE89 3704 ..."). `luhn_valid`
# then tells a card from any other long number.
CARD = re.compile(
    r"(?<![\w.+-])(?<![A-Z]{2}\d{2} )(?:"
    r"\d{13,19}"
    r"|\d{4}([ -])\d{4}\1\d{4}\1\d{4}(?:\1\d{3})?"
    r"|\d{4}([ -])\d{6}\2\d{4,5}"
    r")(?![\w-]|[.,]\d)"
)
# IBANs: country code, two check digits, up to 30 letters and digits, often in groups of four;
# `iban_valid` checks the ISO 13616 checksum.
IBAN = re.compile(r"(?<![\w-])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}(?![\w-])")


def phone_digits(written: str) -> str:
    """The digits of a phone number as written."""
    return re.sub(r"\D", "", written)


def plausible_phone(written: str) -> bool:
    """Whether a `PHONE` match has as many digits as a phone number: 10-11 for a national
    number (leading 0), 7-15 otherwise (the international maximum is 15)."""
    digits = phone_digits(written)
    national = written.startswith("0")
    return (10 <= len(digits) <= 11) if national else (7 <= len(digits) <= 15)


def luhn_valid(written: str) -> bool:
    """Whether the digits of `written` are 13-19 long and pass the Luhn check, as every
    payment card number does (a random number passes one time in ten)."""
    digits = [int(ch) for ch in written if ch.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for position, digit in enumerate(reversed(digits)):
        if position % 2:
            digit *= 2
            digit -= 9 if digit > 9 else 0
        total += digit
    return total % 10 == 0


def iban_valid(written: str) -> bool:
    """Whether `written` is an IBAN with a valid check (ISO 13616: mod 97 == 1)."""
    compact = written.replace(" ", "")
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


def masked(written: str, *, keep: int = 4) -> str:
    """A card or account number with all but its last `keep` characters hidden: what the
    console and the database keep of it."""
    compact = re.sub(r"[\s-]", "", written)
    return "•" * max(0, len(compact) - keep) + compact[-keep:]
