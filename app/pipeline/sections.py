"""Which section of a passage a cited sentence comes from.

A passage can span sections (a short section is joined to the next at ingest), so the passage's
first heading path does not name every sentence in it. A citation names the section(s) of the
sentences it supports: each sentence of the answer that carries the marker is found in the
passage, by its text when it was quoted (the extractive answer) or else by the passage sentence
sharing the most content words with it (a model's paraphrase), and the section at that place is
read off the passage's `section_spans`.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.ground.text import content_words, split_sentences
from app.index.models import Passage
from app.pipeline.support import claims


def supported_sentences(text: str, marker: int) -> list[str]:
    """The sentences of an answer that carry `[marker]`, markers and list numbering removed."""
    return [sentence for sentence, markers in claims(text) if marker in markers]


def cited_sections(passage: Passage, sentences: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """The heading paths of `sentences` in `passage`, in the passage's order, each once; every
    path the passage spans when the sentences cannot be placed in it."""
    if len(passage.section_paths) <= 1:
        return (passage.heading_path,)
    if not passage.section_spans or not sentences:
        # Nothing to place (a passage indexed before spans were stored, or a citation
        # without its sentences): every section it spans, never the first one alone.
        return passage.section_paths
    offsets = sorted({_offset_of(passage.text, s) for s in sentences} - {-1})
    paths: list[tuple[str, ...]] = []
    for offset in offsets:
        path = passage.section_at(offset)
        if path not in paths:
            paths.append(path)
    return tuple(paths) or passage.section_paths


def _offset_of(text: str, sentence: str) -> int:
    """Where `sentence` sits in `text`: its own place if quoted, else the start of the passage
    sentence that shares most of its content words (-1 when none shares any)."""
    exact = text.find(sentence)
    if exact >= 0:
        return exact
    wanted = content_words(sentence)
    best, best_overlap, cursor = -1, 0, 0
    for piece in split_sentences(text):
        at = text.find(piece, cursor)
        if at < 0:
            continue
        cursor = at + len(piece)
        overlap = len(wanted & content_words(piece))
        if overlap > best_overlap:
            best, best_overlap = at, overlap
    return best
