"""Does every claim of a model's answer stand on a passage it cites?

The marker filter (markers.py) keeps only markers that point at a given passage; this module
checks the answer as a whole once it has streamed. A *claim* is a sentence (or a list item)
with at least MIN_CLAIM_WORDS content words; shorter ones ("Here is how:", "Hope this
helps!") carry nothing to cite. Every claim must

1. carry a valid marker, and
2. share at least SUPPORT_SHARE of its content words with the passages its markers point to,
   and every number and model name in it ("30", "lr-400x", "e-17") must be in them: those
   are what a customer acts on, so "hold it for 30 seconds" citing a passage that says 10
   seconds fails.

An answer with a claim that fails either test is not shown: the pipeline falls back to the
extractive answer, whose sentences are copied from the passages they cite. The check is
lexical on purpose: it cannot be argued with by a fluent paraphrase, and what it misses
(a negation, a reordering) the tests and the fine-tuning benchmark measure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from app.ground.text import content_words, split_sentences
from app.pipeline.markers import strip_markers

MIN_CLAIM_WORDS = 3
SUPPORT_SHARE = 0.5

# Markers after a sentence's full stop ("... seconds. [1]") belong to that sentence.
_MARKERS_AFTER_STOP = re.compile(r"([.!?])((?:\s*\[\d+\])+)")
# A list item's number or bullet, which the passage may write differently.
_LINE_PREFIX = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+")
_MARKER_NUMBER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Unsupported:
    """A claim that may not be shown, and why."""

    sentence: str
    reason: str  # "no citation" or "not in [n]"


def claims(text: str) -> list[tuple[str, list[int]]]:
    """The answer's sentences with the markers each carries (a marker written just after the
    full stop belongs to the sentence before it)."""
    found: list[tuple[str, list[int]]] = []
    for line in text.splitlines():
        line = _MARKERS_AFTER_STOP.sub(lambda m: m.group(2) + m.group(1), line)
        for sentence in split_sentences(line):
            markers = [int(n) for n in _MARKER_NUMBER.findall(sentence)]
            plain = _LINE_PREFIX.sub("", strip_markers(sentence)).strip()
            if plain:
                found.append((plain, markers))
    return found


def unsupported_claims(text: str, passages: Sequence[str]) -> list[Unsupported]:
    """The claims of `text` that lack a citation or are not in the passages they cite.

    `passages` are the texts the markers number (marker n is passages[n - 1]).
    """
    passage_words = [content_words(p) for p in passages]
    problems: list[Unsupported] = []
    for sentence, markers in claims(text):
        words = content_words(sentence)
        if len(words) < MIN_CLAIM_WORDS:
            continue
        cited = [m for m in markers if 1 <= m <= len(passages)]
        if not cited:
            problems.append(Unsupported(sentence, "no citation"))
            continue
        shown = frozenset().union(*(passage_words[m - 1] for m in cited))
        figures = {w for w in words if any(c.isdigit() for c in w)}
        if len(words & shown) < SUPPORT_SHARE * len(words) or not figures <= shown:
            labels = ", ".join(f"[{m}]" for m in cited)
            problems.append(Unsupported(sentence, f"not in {labels}"))
    return problems
