"""The patterns of personal identifiers: e-mail addresses, phone numbers, serial and order numbers.

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
# A candidate only: `plausible_phone` decides by the number of digits.
PHONE = re.compile(
    r"(?<![\w+/.-])(?:"
    r"\+\d{1,3}[\s.-]?(?:\(\d{1,4}\)[\s.-]?)?\d{1,4}(?:[\s.-]?\d{2,4}){1,4}"
    r"|(?:1[\s.-])?\(\d{3}\)\s?\d{3}[\s.-]?\d{4}"
    r"|(?:1[\s.-])?\d{3}[.-]\d{3}[.-]\d{4}"
    r"|0\d{2,4}[\s-]\d{3,4}[\s-]?\d{3,4}"
    r")(?![\w-])"
)


def phone_digits(written: str) -> str:
    """The digits of a phone number as written."""
    return re.sub(r"\D", "", written)


def plausible_phone(written: str) -> bool:
    """Whether a `PHONE` match has as many digits as a phone number: 10-11 for a national
    number (leading 0), 7-15 otherwise (the international maximum is 15)."""
    digits = phone_digits(written)
    national = written.startswith("0")
    return (10 <= len(digits) <= 11) if national else (7 <= len(digits) <= 15)
