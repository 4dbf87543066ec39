"""Screening loaded documents for text that must never reach an answer.

Two kinds of sentence are cut before chunking, so no generator ever sees them, and each is
reported as a warning on its source (the rest of the document is indexed as usual):

- text aimed at the assistant rather than at customers (app/ground/injection.py);
- lures aimed at customers: a request to send a password, code or payment details, or to
  write to an e-mail address outside the company's own domains (app/ground/lures.py). The own
  domains are the setting `ingest.own_domains` plus the sites of the documents' own URLs.

Hidden text (HTML comments, white-on-white, zero-width smuggling) was never going to be
indexed, but instructions in it are worth an operator's attention too.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from app.ground.injection import is_instruction
from app.ground.lures import asks_for_secrets, domain_of_url, outside_addresses
from ingest.document import ParsedDocument

# The version of these rules. It is part of every source's hash (ingest/pipeline.py), so a
# change to the rules or to the own domains re-screens every source at the next ingest
# (unchanged passages keep their embeddings).
SCREENING_RULES = 2
_QUOTE_CHARS = 120
_LOOSE_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def screen_documents(documents: list[ParsedDocument], own_domains: Sequence[str] = ()) -> None:
    """Cut instruction-like sentences and lures from `documents` in place and warn about them."""
    own = [*own_domains, *(d for doc in documents if (d := domain_of_url(doc.url or "")))]
    for document in documents:
        for hidden in document.hidden_text:
            if is_instruction(hidden):
                document.warnings.append(
                    f"possible prompt injection in hidden text (not indexed): {_quote(hidden)}"
                )
        blocks = []
        for block in document.blocks:
            kept, cut = _screened(block.text, own)
            for sentence, why in cut:
                document.warnings.append(
                    f"{why} removed from {document.title!r}: {_quote(sentence)}"
                )
            if kept.strip():
                blocks.append(block if not cut else replace(block, text=kept))
        document.blocks = blocks


def screening_fingerprint(own_domains: Sequence[str]) -> str:
    """What a source's screening depends on besides its bytes: the rules and the own domains."""
    return f"screening {SCREENING_RULES}" + "".join(f"\x00{d}" for d in own_domains)


def held_out_because(sentence: str, own_domains: Sequence[str]) -> str | None:
    """Why `sentence` must not be indexed, in the report's words, or None to keep it."""
    if is_instruction(sentence):
        return "possible prompt injection"
    if asks_for_secrets(sentence):
        return "request for customers' passwords, codes or payment details"
    outside = outside_addresses(sentence, own_domains)
    if outside:
        return f"request to contact an address outside the company's domains ({outside[0]})"
    return None


def _screened(text: str, own_domains: Sequence[str]) -> tuple[str, list[tuple[str, str]]]:
    if held_out_because(text, own_domains) is None:
        return text, []
    kept_lines: list[str] = []
    cut: list[tuple[str, str]] = []
    for line in text.split("\n"):
        # Split at every sentence end, even before a lower-case word: injected text rarely
        # bothers with capitals, and the sentence before it should survive.
        kept = []
        for sentence in [piece for piece in _LOOSE_SENTENCE_END.split(line) if piece] or [line]:
            why = held_out_because(sentence, own_domains)
            if why is None:
                kept.append(sentence)
            else:
                cut.append((sentence, why))
        if kept:
            kept_lines.append(" ".join(kept))
    return "\n".join(kept_lines), cut


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= _QUOTE_CHARS else flat[:_QUOTE_CHARS] + "…")
