"""The index on a Qdrant server (production), through qdrant-client.

A server serves many readers while one ingest writes, so changes are applied in place: the
new version of a source is upserted before the old one is deleted, and a reader never sees a
source vanish. The same code runs against qdrant-client's local mode in tests (`:memory:` or
a path), which speaks the same API as a server.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from app.config import Settings
from app.embedding import Vectors
from app.index.models import Passage, SearchFilter, SourceState
from app.index.sparse import SparseTerms
from app.index.store import (
    BOOKKEEPING_FIELDS,
    DENSE,
    INDEXED_FIELDS,
    SPARSE,
    Candidate,
    collect_source_states,
)

_BATCH = 256


def _client_filter(search_filter: SearchFilter | None) -> models.Filter | None:
    if search_filter is None:
        return None
    must: list[models.Condition] = []
    if search_filter.products:
        must.append(
            models.FieldCondition(
                key="products", match=models.MatchAny(any=list(search_filter.products))
            )
        )
    if search_filter.doc_types:
        must.append(
            models.FieldCondition(
                key="doc_type", match=models.MatchAny(any=list(search_filter.doc_types))
            )
        )
    return models.Filter(must=must) if must else None


class QdrantServerIndex:
    """Reader and writer on one collection of a Qdrant server."""

    def __init__(self, client: QdrantClient, collection: str) -> None:
        self._client = client
        self._collection = collection

    @classmethod
    def connect(
        cls, settings: Settings, *, create_dimension: int | None = None
    ) -> QdrantServerIndex:
        api_key = settings.index.qdrant_api_key
        client = QdrantClient(
            url=settings.index.qdrant_url,
            api_key=api_key.get_secret_value() if api_key else None,
        )
        return cls.on_client(client, settings.index.collection, create_dimension=create_dimension)

    @classmethod
    def on_client(
        cls, client: QdrantClient, collection: str, *, create_dimension: int | None = None
    ) -> QdrantServerIndex:
        index = cls(client, collection)
        if create_dimension is not None and not client.collection_exists(collection):
            index._create(create_dimension)
        return index

    def _create(self, dimension: int) -> None:
        self._client.create_collection(
            self._collection,
            vectors_config={
                DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
            },
            sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
        )
        for field in INDEXED_FIELDS:
            self._client.create_payload_index(
                self._collection, field, field_schema=models.PayloadSchemaType.KEYWORD
            )

    # -- reader ---------------------------------------------------------------------------

    def search(
        self,
        dense: Vectors,
        sparse: SparseTerms,
        *,
        limit: int,
        search_filter: SearchFilter | None = None,
    ) -> tuple[list[Candidate], list[Candidate]]:
        query_filter = _client_filter(search_filter)
        requests = [
            models.QueryRequest(
                query=dense.tolist(),
                using=DENSE,
                limit=limit,
                filter=query_filter,
                with_payload=True,
            )
        ]
        if sparse.indices:
            requests.append(
                models.QueryRequest(
                    query=models.SparseVector(indices=sparse.indices, values=sparse.values),
                    using=SPARSE,
                    limit=limit,
                    filter=query_filter,
                    with_payload=True,
                )
            )
        responses = self._client.query_batch_points(self._collection, requests)
        hits = [
            [Candidate(str(p.id), float(p.score), dict(p.payload or {})) for p in r.points]
            for r in responses
        ]
        return hits[0], hits[1] if len(hits) > 1 else []

    def count(self) -> int:
        return int(self._client.count(self._collection, exact=True).count)

    def refresh(self) -> bool:
        return False  # the server always serves its latest state

    def close(self) -> None:
        self._client.close()

    # -- writer ---------------------------------------------------------------------------

    def source_states(self) -> dict[tuple[str, str], SourceState]:
        return collect_source_states(self.iter_payloads(BOOKKEEPING_FIELDS))

    def iter_payloads(self, fields: list[str]) -> Iterable[tuple[str, dict[str, Any]]]:
        """(id, selected payload fields) of every stored passage."""
        offset: Any = None
        while True:
            records, offset = self._client.scroll(
                self._collection,
                limit=2048,
                offset=offset,
                with_payload=models.PayloadSelectorInclude(include=fields),
                with_vectors=False,
            )
            for record in records:
                yield str(record.id), dict(record.payload or {})
            if offset is None:
                return

    def dense_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for start in range(0, len(ids), _BATCH):
            records = self._client.retrieve(
                self._collection, list(ids[start : start + _BATCH]), with_vectors=[DENSE]
            )
            for record in records:
                vector = record.vector
                if isinstance(vector, dict) and DENSE in vector:
                    found[str(record.id)] = list(vector[DENSE])  # type: ignore[arg-type]
        return found

    def upsert(
        self, passages: Sequence[Passage], dense: Vectors, sparse: Sequence[SparseTerms]
    ) -> None:
        for start in range(0, len(passages), _BATCH):
            points = [
                models.PointStruct(
                    id=passage.id,
                    vector={
                        DENSE: dense[i].tolist(),
                        SPARSE: models.SparseVector(
                            indices=sparse[i].indices, values=sparse[i].values
                        ),
                    },
                    payload=passage.to_payload(),
                )
                for i, passage in enumerate(passages[start : start + _BATCH], start)
            ]
            self._client.upsert(self._collection, points, wait=True)

    def delete(self, ids: Iterable[str]) -> None:
        id_list: list[Any] = list(ids)
        for start in range(0, len(id_list), _BATCH):
            self._client.delete(
                self._collection,
                models.PointIdsList(points=id_list[start : start + _BATCH]),
                wait=True,
            )

    def commit(self) -> None:
        """Changes are already live on a server (upserts before deletes keep it consistent)."""

    def abort(self) -> None:
        """Nothing to undo: what was written is consistent, and the next run converges."""
