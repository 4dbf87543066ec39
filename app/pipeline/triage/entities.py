"""The identifiers, dates, amounts and products a customer names in a message.

Regular expressions for identifiers (those that are personal data are shared with redaction,
in app/ground/patterns.py), spaCy's NER for dates and money, the product catalog for
products. Where candidates overlap, the more specific pattern wins.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import date, datetime

from app.ground.ner import spacy_pipeline
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
    masked,
    phone_digits,
    plausible_phone,
)
from app.ground.products import ProductCatalog
from app.pipeline.types import Entity, EntityKind


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_RMA = _rx(r"\bRMA\s*(?:no\.?|number|#)?\s*(?:is\s+)?[:#-]?\s*([A-Z0-9-]*\d[A-Z0-9-]*)")
_TICKET = _rx(
    r"\b(T-\d{2}-\d{3,6})\b"
    r"|\b(?:ticket|case|incident)\s*(?:no\.?|number|id)?\s*(?:is\s+)?[:#]?\s*#?\s*"
    r"([A-Z]{0,4}-?\d[\dA-Z-]{2,})"
)
_MODEL_NAMED = _rx(r"\bmodel\s*(?:no\.?|number|#)?\s*(?:is\s+)?[:#]?\s*([A-Z0-9]*\d[A-Z0-9-]*)")
_MODEL_CODE = re.compile(
    r"(?<![\w-])[A-Z][A-Z0-9]{0,5}-[A-Z]{0,3}\d{2,5}[A-Z]{0,3}"
    r"(?:[ -](?:Pro|Plus|Max|Mini|Ultra|Lite))?(?![\w-])"
)
_NOT_MODELS = frozenset({"COVID-19"})
_AMOUNT = re.compile(
    r"(?<![\w.])(?:(?P<sym>[$€£¥₹])\s?(?P<n1>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:\.\d{1,2})?)"
    r"|(?P<n2>\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d+(?:[.,]\d{1,2})?)\s?"
    r"(?P<code>USD|EUR|GBP|CAD|AUD|CHF|JPY|INR|dollars?|euros?|bucks)\b"
    r"|(?P<code2>USD|EUR|GBP|CAD|AUD|CHF)\s?(?P<n3>\d+(?:[.,]\d{1,2})?))",
    re.IGNORECASE,
)
_CURRENCY = {"$": "USD", "€": "EUR", "£": "GBP", "¥": "JPY", "₹": "INR", "dollar": "USD"}
_CURRENCY |= {"dollars": "USD", "bucks": "USD", "euro": "EUR", "euros": "EUR"}
_DATE_NUMERIC = re.compile(r"\b(\d{4}-\d{2}-\d{2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})\b")


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    entity: Entity


def extract_entities(text: str, catalog: ProductCatalog | None = None) -> tuple[Entity, ...]:
    """Identifiers, dates, amounts and products in a message: products first, then the rest
    in reading order. Where candidates overlap, the more specific pattern wins."""
    text = html.unescape(text)
    candidates: list[_Span] = []  # in priority order

    def add(kind: EntityKind, start: int, end: int, value: str) -> None:
        candidates.append(_Span(start, end, Entity(kind, text[start:end], value)))

    for m in EMAIL.finditer(text):
        add("email", m.start(), m.end(), m.group().lower())
    # Card numbers and IBANs are kept masked, also as the entity's text: the escalation brief
    # and the console show which card, never the number.
    for m in CARD.finditer(text):
        if luhn_valid(m.group()):
            hidden = masked(m.group())
            candidates.append(_Span(m.start(), m.end(), Entity("card", hidden, hidden)))
    for m in IBAN.finditer(text):
        if iban_valid(m.group()):
            hidden = m.group()[:2] + masked(m.group()[2:])
            candidates.append(_Span(m.start(), m.end(), Entity("iban", hidden, hidden)))
    for m in _RMA.finditer(text):
        add("rma", m.start(), m.end(), "RMA-" + m.group(1).strip("-").upper())
    for m in _TICKET.finditer(text):
        add("ticket", m.start(), m.end(), (m.group(1) or m.group(2)).upper())
    for m in ORDER.finditer(text):
        code = (m.group(1) or m.group(2) or "").strip("-")
        if len(code) >= 4:
            add("order", m.start(), m.end(), code.upper())
    for m in SERIAL_NAMED.finditer(text):
        if any(ch.isdigit() for ch in m.group(1)):
            add("serial", m.start(), m.end(), m.group(1).upper())
    for m in PHONE.finditer(text):
        if plausible_phone(m.group()):
            digits = phone_digits(m.group())
            add("phone", m.start(), m.end(), ("+" if m.group().startswith("+") else "") + digits)
    for m in _AMOUNT.finditer(text):
        add("amount", m.start(), m.end(), _amount_value(m))
    for m in _DATE_NUMERIC.finditer(text):
        add("date", m.start(), m.end(), _date_value(m.group()))
    for m in _MODEL_NAMED.finditer(text):
        add("model", m.start(), m.end(), m.group(1).upper())
    for m in _MODEL_CODE.finditer(text):
        if m.group() not in _NOT_MODELS:
            add("model", m.start(), m.end(), m.group())
    for m in SERIAL_BARE.finditer(text):
        add("serial", m.start(), m.end(), m.group())
    for label, start, end, span_text in _ner(text):
        if label == "MONEY" and any(ch.isdigit() for ch in span_text):
            add("amount", start, end, span_text)
        elif label == "DATE":
            add("date", start, end, _date_value(span_text))
        elif label == "PRODUCT" and not span_text.startswith(("@", "#")):
            add("product", start, end, span_text)

    taken: list[_Span] = []
    for span in candidates:
        if all(span.end <= t.start or span.start >= t.end for t in taken):
            taken.append(span)
    found = [s.entity for s in sorted(taken, key=lambda s: s.start)]
    products: list[Entity] = []
    if catalog is not None:
        products = [Entity("product", name, name) for name in catalog.detect_all(text)]
        # A model code or NER product that the catalog knows is that product, said once.
        found = [
            e for e in found if e.kind not in ("model", "product") or not catalog.canonical(e.value)
        ]
    return (*products, *found)


def _amount_value(m: re.Match[str]) -> str:
    """ "49.99 USD": the number without thousands separators, then the currency code."""
    number = m.group("n1") or m.group("n2") or m.group("n3") or ""
    if re.fullmatch(r"\d+,\d{1,2}", number):  # a decimal comma: "49,99 EUR"
        number = number.replace(",", ".")
    number = number.replace(",", "")
    currency = m.group("sym") or m.group("code") or m.group("code2") or ""
    return f"{number} {_CURRENCY.get(currency.lower(), currency.upper())}"


def _date_value(written: str) -> str:
    """ISO 8601 where the date is unambiguous, else the words as written ("last Tuesday")."""
    cleaned = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", written.strip())
    for fmt in ("%Y-%m-%d", "%B %d, %Y", "%B %d %Y", "%d %B %Y", "%b %d, %Y", "%d %b %Y"):
        try:
            return datetime.strptime(cleaned, fmt).date().isoformat()
        except ValueError:
            pass
    numeric = re.fullmatch(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})", cleaned)
    if numeric:
        first, second, year = (int(g) for g in numeric.groups())
        day, month = (first, second) if first > 12 else (second, first) if second > 12 else (0, 0)
        if day:
            try:
                return date(year, month, day).isoformat()
            except ValueError:
                pass
    return written.strip()


def _ner(text: str) -> list[tuple[str, int, int, str]]:
    """(label, start, end, text) of spaCy's DATE, MONEY and PRODUCT entities."""
    doc = spacy_pipeline()(text)
    return [
        (ent.label_, ent.start_char, ent.end_char, ent.text)
        for ent in doc.ents
        if ent.label_ in ("DATE", "MONEY", "PRODUCT")
    ]
