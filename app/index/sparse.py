"""BM25 keyword vectors, computed in-process (no fastembed, no model hub).

Documents get term-frequency weights normalised by length; the index applies IDF at query
time (sparse vectors with the IDF modifier), so adding documents never means re-encoding
the ones already stored. The same encoder serves the embedded engine and a Qdrant server.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import qdrant_edge


@dataclass(frozen=True)
class SparseTerms:
    """A sparse vector: hashed term ids and their weights."""

    indices: list[int]
    values: list[float]


class Bm25Encoder:
    """English BM25 (stemming, stop words) from qdrant-edge's Rust tokenizer."""

    def __init__(self) -> None:
        # avg_len ~ our passage length in words: passages aim at ~180 tokens.
        self._model = qdrant_edge.Bm25(qdrant_edge.Bm25Config(language="english", avg_len=140.0))

    def encode_document(self, text: str) -> SparseTerms:
        vector = self._model.embed_document(text)
        return SparseTerms(list(vector.indices), list(vector.values))

    def encode_query(self, text: str) -> SparseTerms:
        vector = self._model.embed_query(text)
        return SparseTerms(list(vector.indices), list(vector.values))


@lru_cache(maxsize=1)
def get_bm25() -> Bm25Encoder:
    """The process-wide encoder (it holds stemmer and stop-word tables)."""
    return Bm25Encoder()
