"""The index on a Qdrant server (production), through qdrant-client.

A server serves many readers while one ingest writes, so the nightly ingest applies changes
in place: the new version of a source is upserted before the old one is deleted, and a reader
never sees a source vanish. A full rebuild (`QdrantRebuild`) instead fills a new collection
beside the live one and switches the alias to it (see `app.index.qdrant_collections`). The
same code runs against qdrant-client's local mode in tests (`:memory:` or a path), which
speaks the same API as a server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from typing import Any

from qdrant_client import QdrantClient, models

from app.ground.config import Settings
from app.ground.embedding import Vectors
from app.ground.errors import AppError
from app.index import qdrant_collections as collections
from app.index.models import Passage, SearchFilter, SourceState
from app.index.protocols import (
    BOOKKEEPING_FIELDS,
    DENSE,
    SPARSE,
    Candidate,
    collect_source_states,
)
from app.index.sparse import SparseTerms

log = logging.getLogger(__name__)

_BATCH = 256


def make_client(settings: Settings) -> QdrantClient:
    """A client for the configured server; the API key travels only in its request header."""
    api_key = settings.index.qdrant_api_key
    return QdrantClient(
        url=settings.index.qdrant_url,
        api_key=api_key.get_secret_value() if api_key else None,
    )


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
    """Reader and writer on one collection of a Qdrant server, by name or by alias.

    Through the alias (the configured name) every request goes to whatever collection the
    alias points at when the server receives it: readers follow a rebuild by themselves.
    """

    def __init__(self, client: QdrantClient, collection: str) -> None:
        self._client = client
        self._collection = collection

    @classmethod
    def connect(
        cls, settings: Settings, *, create_dimension: int | None = None
    ) -> QdrantServerIndex:
        return cls.on_client(
            make_client(settings), settings.index.collection, create_dimension=create_dimension
        )

    @classmethod
    def on_client(
        cls, client: QdrantClient, alias: str, *, create_dimension: int | None = None
    ) -> QdrantServerIndex:
        """The index behind `alias`; a writer (`create_dimension`) creates it on first use."""
        if create_dimension is not None:
            collections.ensure_alias(client, alias, create_dimension)
        return cls(client, alias)

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


class QdrantRebuild(QdrantServerIndex):
    """A writer that fills a new collection beside the live one; `commit` switches to it.

    Readers keep querying the alias, which points at the old collection until the switch and
    at the complete new one after it: they never see an empty or partial index.
    """

    def __init__(self, client: QdrantClient, alias: str, building: str) -> None:
        super().__init__(client, building)
        self._alias = alias
        self._written: set[str] = set()
        self._finished = False

    @classmethod
    def begin(cls, settings: Settings, *, dimension: int) -> QdrantRebuild:
        """`start` on the configured server and collection."""
        return cls.start(make_client(settings), settings.index.collection, dimension=dimension)

    @classmethod
    def start(cls, client: QdrantClient, alias: str, *, dimension: int) -> QdrantRebuild:
        """Create the next collection (the caller holds the ingest lock)."""
        for name in collections.drop_orphans(client, alias):
            log.info("dropped collection %s, left by an unfinished rebuild", name)
        building = collections.new_collection_name(alias)
        collections.create_collection(client, building, dimension)
        return cls(client, alias, building)

    def upsert(
        self, passages: Sequence[Passage], dense: Vectors, sparse: Sequence[SparseTerms]
    ) -> None:
        super().upsert(passages, dense, sparse)
        self._written.update(p.id for p in passages)

    def delete(self, ids: Iterable[str]) -> None:
        id_list = list(ids)
        super().delete(id_list)
        self._written.difference_update(id_list)

    def commit(self) -> None:
        """Check the new collection holds what was written, switch the alias, drop the old."""
        stored = self.count()
        if stored != len(self._written):
            raise AppError(
                "index",
                f"the rebuilt collection {self._collection} holds {stored} passages where "
                f"{len(self._written)} were written; the live index is unchanged",
            )
        previous = collections.alias_target(self._client, self._alias)
        if previous is None and self._alias in collections.collection_names(self._client):
            # A pre-alias install: its collection must go before the alias can take the name.
            # From here the new collection is the only copy, so abort must not drop it (and
            # should the alias fail, the next ingest recreates one and re-indexes).
            self._finished = True
            self._client.delete_collection(self._alias)
            log.info("migrated collection %s to an alias", self._alias)
        collections.point_alias(
            self._client, self._alias, self._collection, replaces_alias=previous is not None
        )
        self._finished = True
        if previous is not None:
            self._drop(previous, why="the previous collection")

    def abort(self) -> None:
        """Drop the half-built collection; the alias never left the live one."""
        if self._finished:
            return
        self._finished = True
        self._drop(self._collection, why="the unfinished rebuild")

    def _drop(self, name: str, *, why: str) -> None:
        try:
            self._client.delete_collection(name)
        except Exception as exc:  # the switch (or abort) stands; only space is lost until then
            log.warning("could not drop %s %s (%s); the next rebuild drops it", why, name, exc)
