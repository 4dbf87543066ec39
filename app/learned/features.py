"""What a head sees of a message: its sentence embedding, and for tone its words as well.

A sentence embedding says what a message is about; it says little about how it is said
("the Wi-Fi drops every evening, what could cause that?" and "the Wi-Fi drops every evening,
useless!" are close neighbours). Complaint and sentiment heads therefore also see the message's
words: unigrams and bigrams hashed into WORD_BUCKETS buckets (a stable hash, so a stored model
reads new messages the same way), counts damped by log1p and scaled to unit length. Which words
matter, and how much, the head learns from the examples; nothing here names a word.

Both halves have unit length, so neither outweighs the other by scale alone.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Literal

import numpy as np

from app.ground.embedding import Vectors

FeatureSet = Literal["sentence", "sentence+words"]
FEATURE_SETS: tuple[FeatureSet, ...] = ("sentence", "sentence+words")
WORD_BUCKETS = 2048
_WORD = re.compile(r"[a-z0-9']+")


def _bucket(term: str) -> int:
    digest = hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest()
    return int.from_bytes(digest, "little") % WORD_BUCKETS


def word_vectors(texts: Sequence[str]) -> Vectors:
    """Hashed unigram and bigram counts of each text, log-damped, unit length."""
    out = np.zeros((len(texts), WORD_BUCKETS), dtype=np.float32)
    for row, text in enumerate(texts):
        words = _WORD.findall(text.lower())
        for term in [*words, *(f"{a} {b}" for a, b in zip(words, words[1:], strict=False))]:
            out[row, _bucket(term)] += 1.0
    out = np.log1p(out)
    norms = np.linalg.norm(out, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: Vectors = (out / norms).astype(np.float32)
    return result


def features(feature_set: FeatureSet, sentence: Vectors, texts: Sequence[str]) -> Vectors:
    """The vectors a head of `feature_set` reads, from the texts' sentence embeddings (one
    row per text): for "sentence+words", the texts' word vectors beside them."""
    rows = np.atleast_2d(sentence)
    if feature_set == "sentence+words":
        rows = np.hstack([rows, word_vectors(texts)])
    result: Vectors = rows.astype(np.float32)
    return result
