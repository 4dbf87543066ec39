"""The contract of the index: what both engines store, and the protocols they implement.

Two engines implement these protocols: the embedded Qdrant Edge shard (`app.index.edge`,
default; no server) and a Qdrant server (`app.index.qdrant_server`, production). Both store
the same payload (`Passage.to_payload`), a dense vector named "dense" and a BM25 sparse vector
named "bm25" with the IDF modifier.

Readers and the writer are separate objects because their lifetimes differ: the chat app
keeps a reader open for days while the nightly ingest opens a writer, applies changes and
commits. A reader notices a commit by itself (`refresh`).

This module sits below both engines and the factory (`app.index.store`), so that each engine
and everything that only needs the types (retrieval, ingest, health) imports it without
pulling in an engine, and without an import circle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from app.ground.embedding import Vectors
from app.index.models import Passage, SearchFilter, SourceState
from app.index.sparse import SparseTerms

DENSE = "dense"
SPARSE = "bm25"
# Payload fields with a keyword index: filters and per-source bookkeeping stay fast.
INDEXED_FIELDS = ("products", "doc_type", "source", "root")
# What ingest needs to know about stored points, without the (large) text.
BOOKKEEPING_FIELDS = ["root", "source", "source_hash", "source_passages"]


@dataclass(frozen=True)
class Candidate:
    """A search result from one retriever, with its payload."""

    id: str
    score: float
    payload: dict[str, Any]


class IndexReader(Protocol):
    """Read side: dense and keyword candidates for a query."""

    def search(
        self,
        dense: Vectors,
        sparse: SparseTerms,
        *,
        limit: int,
        search_filter: SearchFilter | None = None,
    ) -> tuple[list[Candidate], list[Candidate]]:
        """Dense candidates and BM25 candidates, each best first."""
        ...

    def count(self) -> int: ...

    def refresh(self) -> bool:
        """Pick up a newer committed index if there is one; True when it switched."""
        ...

    def close(self) -> None: ...


class IndexWriter(Protocol):
    """Write side, used by ingest. Nothing is visible to readers before `commit`."""

    def source_states(self) -> dict[tuple[str, str], SourceState]: ...

    def iter_payloads(self, fields: list[str]) -> Iterable[tuple[str, dict[str, Any]]]: ...

    def dense_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]: ...

    def upsert(
        self, passages: Sequence[Passage], dense: Vectors, sparse: Sequence[SparseTerms]
    ) -> None: ...

    def delete(self, ids: Iterable[str]) -> None: ...

    def count(self) -> int: ...

    def commit(self) -> None: ...

    def abort(self) -> None: ...


def collect_source_states(
    records: Iterable[tuple[str, dict[str, Any]]],
) -> dict[tuple[str, str], SourceState]:
    """Group stored (id, bookkeeping payload) pairs by source; shared by both engines."""
    states: dict[tuple[str, str], SourceState] = {}
    for point_id, payload in records:
        key = (payload["root"], payload["source"])
        state = states.get(key)
        if state is None:
            state = states[key] = SourceState(key[0], key[1], {}, {})
        version = payload["source_hash"]
        state.ids_by_hash.setdefault(version, set()).add(point_id)
        state.expected[version] = int(payload["source_passages"])
    return states
