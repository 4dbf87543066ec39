"""Hybrid retrieval: dense (MiniLM) and keyword (BM25) candidates, fused into one ranking.

Why not reciprocal-rank fusion: RRF throws the scores away, so a passage that BM25 ranks
third by a hair counts as much as one dense retrieval is sure of; on FAQ-style corpora that
loses to dense alone. We fuse *scores* instead (a convex combination, as studied by Bruch et
al. 2023, "An Analysis of Fusion Functions for Hybrid Retrieval"): each retriever's scores
are scaled to [0, 1] over its own candidates, and missing candidates score 0 on that side.
Dense cosine is scaled from a fixed floor rather than from the worst candidate, so a weak
dense list is not stretched to look confident.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Protocol

from app.ground.config import RetrievalSettings
from app.ground.embedding import Embedder
from app.index.models import Passage, SearchFilter
from app.index.protocols import Candidate, IndexReader
from app.index.sparse import get_bm25

# Cosine similarity of unrelated MiniLM sentences sits around 0-0.2; below this a dense match
# carries no information.
_DENSE_FLOOR = 0.1


@dataclass(frozen=True)
class RetrievedPassage:
    """A passage with its fused score and the two scores it came from."""

    passage: Passage
    score: float
    dense_score: float | None
    keyword_score: float | None

    def to_json(self, rank: int) -> dict[str, Any]:
        """The shape `supportbot search --json` and the search API print."""
        p = self.passage
        return {
            "rank": rank,
            "score": round(self.score, 4),
            "source": p.source,
            "title": p.title,
            "heading_path": list(p.heading_path),
            "section_paths": [list(path) for path in p.section_paths],
            "doc_type": p.doc_type,
            "product": p.product,
            "products": list(p.products),
            "page": p.page,
            "url": p.url,
            "text": p.text,
        }


@dataclass(frozen=True)
class ProductPreference:
    """Rank the customer's product first without hiding everything else.

    With many sibling products whose manuals are nearly identical, the right product's
    passage may not even be among the unfiltered candidates, so candidates are drawn twice
    (restricted to the product, and unrestricted) and fused together; passages about another
    product are then discounted. Passages about no product (billing, accounts, symptoms
    common to all models) compete on their own merit.
    """

    product: str
    other_product_weight: float

    def weight(self, passage_products: list[str]) -> float:
        if not passage_products or self.product in passage_products:
            return 1.0
        return self.other_product_weight


class Retriever(Protocol):
    def search(
        self,
        query: str,
        *,
        k: int = 5,
        search_filter: SearchFilter | None = None,
        prefer: ProductPreference | None = None,
    ) -> list[RetrievedPassage]: ...


class HybridRetriever:
    """Dense + BM25 over one index reader, fused by score."""

    def __init__(self, reader: IndexReader, embedder: Embedder, settings: RetrievalSettings):
        self._reader = reader
        self._embedder = embedder
        self._settings = settings
        self._bm25 = get_bm25()
        self.last_latency_ms = 0.0

    def search(
        self,
        query: str,
        *,
        k: int = 5,
        search_filter: SearchFilter | None = None,
        prefer: ProductPreference | None = None,
    ) -> list[RetrievedPassage]:
        """The `k` best passages for `query`, best first."""
        started = time.perf_counter()
        dense_vector = self._embedder.embed_query(query)
        sparse_terms = self._bm25.encode_query(query)
        limit = max(k, self._settings.candidates)
        dense_hits, keyword_hits = self._reader.search(
            dense_vector, sparse_terms, limit=limit, search_filter=search_filter
        )
        if prefer is not None:
            narrowed = SearchFilter(
                products=(prefer.product,),
                doc_types=search_filter.doc_types if search_filter else None,
            )
            own_dense, own_keyword = self._reader.search(
                dense_vector, sparse_terms, limit=limit, search_filter=narrowed
            )
            dense_hits = _union(dense_hits, own_dense)
            keyword_hits = _union(keyword_hits, own_keyword)
        fused = fuse(
            dense_hits,
            keyword_hits,
            dense_weight=self._settings.dense_weight,
            ticket_weight=self._settings.ticket_weight,
            k=k,
            prefer=prefer,
        )
        self.last_latency_ms = (time.perf_counter() - started) * 1000
        return fused


def fuse(
    dense_hits: list[Candidate],
    keyword_hits: list[Candidate],
    *,
    dense_weight: float,
    k: int,
    ticket_weight: float = 1.0,
    prefer: ProductPreference | None = None,
) -> list[RetrievedPassage]:
    """Convex combination of scaled dense and BM25 scores (see the module docstring),
    with ticket passages discounted by `ticket_weight` against curated documentation and,
    with a product preference, other products' passages discounted."""
    dense_scaled = _scale_dense(dense_hits)
    keyword_scaled = _scale_keyword(keyword_hits)
    payloads = {c.id: c.payload for c in keyword_hits} | {c.id: c.payload for c in dense_hits}
    raw_dense = {c.id: c.score for c in dense_hits}
    raw_keyword = {c.id: c.score for c in keyword_hits}
    scored = []
    for point_id, payload in payloads.items():
        score = dense_weight * dense_scaled.get(point_id, 0.0) + (1 - dense_weight) * (
            keyword_scaled.get(point_id, 0.0)
        )
        if payload.get("doc_type") == "ticket":
            score *= ticket_weight
        if prefer is not None:
            score *= prefer.weight(payload.get("products") or [])
        scored.append((score, point_id, payload))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        RetrievedPassage(
            passage=Passage.from_payload(point_id, payload),
            score=score,
            dense_score=raw_dense.get(point_id),
            keyword_score=raw_keyword.get(point_id),
        )
        for score, point_id, payload in scored[:k]
    ]


def _union(first: list[Candidate], second: list[Candidate]) -> list[Candidate]:
    """Candidates of both lists once each, best first (same query, so scores compare)."""
    merged = {c.id: c for c in second} | {c.id: c for c in first}
    return sorted(merged.values(), key=lambda c: -c.score)


def _scale_dense(hits: list[Candidate]) -> dict[str, float]:
    if not hits:
        return {}
    top = max(h.score for h in hits)
    span = max(top - _DENSE_FLOOR, 1e-6)
    return {h.id: max(0.0, (h.score - _DENSE_FLOOR) / span) for h in hits}


def _scale_keyword(hits: list[Candidate]) -> dict[str, float]:
    # BM25 has a natural zero (no shared term), so scale by the best score only: a lone or
    # near-tied candidate keeps its full weight instead of being stretched to 0.
    top = max((h.score for h in hits), default=0.0)
    if top <= 0:
        return {}
    return {h.id: h.score / top for h in hits}
