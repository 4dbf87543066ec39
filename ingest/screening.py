"""Screening loaded documents for text aimed at the assistant rather than at customers.

Visible sentences that try to instruct an AI are cut before chunking, so no generator ever
sees them; hidden text (HTML comments, white-on-white, zero-width smuggling) was never going
to be indexed, but instructions in it are worth an operator's attention too. Both are reported
as warnings on the source: the rest of the document is indexed as usual.
"""

from __future__ import annotations

import re
from dataclasses import replace

from app.ground.injection import is_instruction
from ingest.document import ParsedDocument

_QUOTE_CHARS = 120
_LOOSE_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")


def screen_documents(documents: list[ParsedDocument]) -> None:
    """Cut instruction-like sentences from `documents` in place and warn about them."""
    for document in documents:
        for hidden in document.hidden_text:
            if is_instruction(hidden):
                document.warnings.append(
                    f"possible prompt injection in hidden text (not indexed): {_quote(hidden)}"
                )
        blocks = []
        for block in document.blocks:
            kept, cut = _without_instructions(block.text)
            for sentence in cut:
                document.warnings.append(
                    f"possible prompt injection removed from {document.title!r}: {_quote(sentence)}"
                )
            if kept.strip():
                blocks.append(block if not cut else replace(block, text=kept))
        document.blocks = blocks


def _without_instructions(text: str) -> tuple[str, list[str]]:
    if not is_instruction(text):
        return text, []
    kept_lines: list[str] = []
    cut: list[str] = []
    for line in text.split("\n"):
        # Split at every sentence end, even before a lower-case word: injected text rarely
        # bothers with capitals, and the sentence before it should survive.
        sentences = [piece for piece in _LOOSE_SENTENCE_END.split(line) if piece] or [line]
        kept = [s for s in sentences if not is_instruction(s)]
        cut += [s for s in sentences if is_instruction(s)]
        if kept:
            kept_lines.append(" ".join(kept))
    return "\n".join(kept_lines), cut


def _quote(text: str) -> str:
    flat = " ".join(text.split())
    return repr(flat if len(flat) <= _QUOTE_CHARS else flat[:_QUOTE_CHARS] + "…")
