"""The embedded index: Qdrant Edge shards in immutable generations.

An Edge shard is a directory that one process writes. To let the nightly ingest run while
the chat app serves, the index is kept as *generations*:

    index/
      CURRENT              name of the live generation (replaced atomically)
      ingest.lock          held by the one running ingest
      generations/<name>/  a complete, never-modified shard
      generations/<name>.building/   the ingest's work in progress

A writer copies the live generation (a rebuild starts an empty one instead), changes it and,
on commit, renames it and points CURRENT at it. Readers (any number of processes) load a
generation read-only and switch when CURRENT changes. A killed ingest leaves only a
`.building` directory, discarded next time, so a re-run converges to the same index. Shards
are created without a write-ahead log: the WAL is what locks a shard to one process, and a
generation is durable once flushed anyway.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

import qdrant_edge as qe

from app.ground.embedding import Vectors
from app.ground.errors import AppError
from app.index.models import Passage, SearchFilter, SourceState
from app.index.protocols import (
    BOOKKEEPING_FIELDS,
    DENSE,
    INDEXED_FIELDS,
    SPARSE,
    Candidate,
    collect_source_states,
)
from app.index.sparse import SparseTerms

_UPSERT_BATCH = 512
_KEEP_OLD_GENERATIONS = 1  # a reader may still be mid-query on the previous one


def _current_name(index_dir: Path) -> str | None:
    try:
        name = (index_dir / "CURRENT").read_text().strip()
    except FileNotFoundError:
        return None
    return name or None


def _edge_filter(search_filter: SearchFilter | None) -> qe.Filter | None:
    if search_filter is None:
        return None
    must: list[Any] = []
    if search_filter.products:
        must.append(
            qe.FieldCondition(key="products", match=qe.MatchAny(list(search_filter.products)))
        )
    if search_filter.doc_types:
        must.append(
            qe.FieldCondition(key="doc_type", match=qe.MatchAny(list(search_filter.doc_types)))
        )
    return qe.Filter(must=must) if must else None


def _candidates(points: Sequence[Any]) -> list[Candidate]:
    return [Candidate(str(p.id), float(p.score), dict(p.payload or {})) for p in points]


class EdgeIndexReader:
    """Searches the live generation and follows CURRENT when an ingest commits."""

    def __init__(self, index_dir: Path) -> None:
        self._index_dir = index_dir
        self._pointer = index_dir / "CURRENT"
        self._shard: qe.EdgeShard | None = None
        self._generation: str | None = None
        self._pointer_stamp: tuple[int, int] | None = None

    @classmethod
    def open(cls, index_dir: Path) -> EdgeIndexReader:
        reader = cls(index_dir)
        if not reader.refresh() and reader._shard is None:
            raise AppError("no_index", f"no index in {index_dir}: run `supportbot ingest` first")
        return reader

    def refresh(self) -> bool:
        try:
            stat = self._pointer.stat()
        except FileNotFoundError:
            return False
        stamp = (stat.st_mtime_ns, stat.st_ino)
        if stamp == self._pointer_stamp:
            return False
        self._pointer_stamp = stamp
        name = _current_name(self._index_dir)
        if name is None or name == self._generation:
            return False
        shard = qe.EdgeShard.load(str(self._index_dir / "generations" / name))
        old, self._shard, self._generation = self._shard, shard, name
        if old is not None:
            old.close()
        return True

    @property
    def generation(self) -> str | None:
        return self._generation

    def search(
        self,
        dense: Vectors,
        sparse: SparseTerms,
        *,
        limit: int,
        search_filter: SearchFilter | None = None,
    ) -> tuple[list[Candidate], list[Candidate]]:
        self.refresh()
        assert self._shard is not None
        edge_filter = _edge_filter(search_filter)
        requests = [
            qe.QueryRequest(
                limit=limit,
                query=qe.Query.Nearest(dense.tolist(), using=DENSE),
                filter=edge_filter,
                with_payload=True,
            )
        ]
        if sparse.indices:
            requests.append(
                qe.QueryRequest(
                    limit=limit,
                    query=qe.Query.Nearest(
                        qe.SparseVector(sparse.indices, sparse.values), using=SPARSE
                    ),
                    filter=edge_filter,
                    with_payload=True,
                )
            )
        results = self._shard.query_batch(qe.QueryBatchRequest(requests))
        dense_hits = _candidates(results[0])
        sparse_hits = _candidates(results[1]) if len(results) > 1 else []
        return dense_hits, sparse_hits

    def count(self) -> int:
        self.refresh()
        assert self._shard is not None
        return int(self._shard.info().points_count)

    def close(self) -> None:
        if self._shard is not None:
            self._shard.close()
            self._shard = None


class EdgeIndexWriter:
    """Builds the next generation from a copy of the live one; see the module docstring."""

    def __init__(self, index_dir: Path, lock: IO[str], shard: qe.EdgeShard, building: Path):
        self._index_dir = index_dir
        self._lock = lock
        self._shard = shard
        self._building = building
        self._closed = False

    @classmethod
    def open(cls, index_dir: Path, *, dimension: int, fresh: bool = False) -> EdgeIndexWriter:
        """The next generation: a copy of the live one, or empty when `fresh` (a rebuild)."""
        generations = index_dir / "generations"
        generations.mkdir(parents=True, exist_ok=True)
        lock = (index_dir / "ingest.lock").open("a+")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            raise AppError(
                "busy", f"another ingest is already running on {index_dir} (ingest.lock is held)"
            ) from None
        try:
            # Work in progress of a killed run: holding the lock, we know nobody owns it.
            for stale in generations.glob("*.building"):
                shutil.rmtree(stale, ignore_errors=True)
            name = f"{time.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
            building = generations / f"{name}.building"
            current = _current_name(index_dir)
            if current is not None and not fresh:
                shutil.copytree(generations / current, building)
                shard = qe.EdgeShard.load(str(building))
            else:
                shard = qe.EdgeShard.create(str(building), _edge_config(dimension))
                for field in INDEXED_FIELDS:
                    shard.update(
                        qe.UpdateOperation.create_field_index(field, qe.PayloadSchemaType.Keyword)
                    )
        except BaseException:
            lock.close()
            raise
        return cls(index_dir, lock, shard, building)

    def source_states(self) -> dict[tuple[str, str], SourceState]:
        return collect_source_states(self.iter_payloads(BOOKKEEPING_FIELDS))

    def iter_payloads(self, fields: list[str]) -> Iterable[tuple[str, dict[str, Any]]]:
        """(id, selected payload fields) of every stored passage."""
        offset = None
        while True:
            records, offset = self._shard.scroll(
                qe.ScrollRequest(
                    offset=offset,
                    limit=2048,
                    with_payload=qe.PayloadSelector.Include(fields),
                    with_vector=False,
                )
            )
            for record in records:
                yield str(record.id), dict(record.payload or {})
            if offset is None:
                return

    def dense_vectors(self, ids: Sequence[str]) -> dict[str, list[float]]:
        found: dict[str, list[float]] = {}
        for start in range(0, len(ids), _UPSERT_BATCH):
            batch: list[qe.PointId] = list(ids[start : start + _UPSERT_BATCH])
            for record in self._shard.retrieve(batch, with_payload=False, with_vector=[DENSE]):
                vector = record.vector
                if isinstance(vector, dict) and isinstance(vector.get(DENSE), list):
                    found[str(record.id)] = [float(x) for x in vector[DENSE]]  # type: ignore[arg-type,union-attr]
        return found

    def upsert(
        self, passages: Sequence[Passage], dense: Vectors, sparse: Sequence[SparseTerms]
    ) -> None:
        for start in range(0, len(passages), _UPSERT_BATCH):
            points = [
                qe.Point(
                    id=passage.id,
                    vector={
                        DENSE: dense[i].tolist(),
                        SPARSE: qe.SparseVector(sparse[i].indices, sparse[i].values),
                    },
                    payload=passage.to_payload(),
                )
                for i, passage in enumerate(passages[start : start + _UPSERT_BATCH], start)
            ]
            self._shard.update(qe.UpdateOperation.upsert_points(points))

    def delete(self, ids: Iterable[str]) -> None:
        id_list: list[qe.PointId] = list(ids)
        for start in range(0, len(id_list), _UPSERT_BATCH):
            self._shard.update(
                qe.UpdateOperation.delete_points(id_list[start : start + _UPSERT_BATCH])
            )

    def count(self) -> int:
        return int(self._shard.info().points_count)

    def commit(self) -> None:
        """Make the new generation live (atomic for readers), then drop old ones."""
        self._shard.optimize()
        self._shard.flush()
        self._shard.close()
        final = self._building.with_suffix("")
        os.replace(self._building, final)
        pointer_tmp = self._index_dir / "CURRENT.tmp"
        with pointer_tmp.open("w") as fh:
            fh.write(final.name)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(pointer_tmp, self._index_dir / "CURRENT")
        _fsync_dir(self._index_dir)
        self._drop_old_generations(keep=final.name)
        self._release()

    def abort(self) -> None:
        """Forget the work in progress; the live generation was never touched."""
        if self._closed:
            return
        self._shard.close()
        shutil.rmtree(self._building, ignore_errors=True)
        self._release()

    def _drop_old_generations(self, *, keep: str) -> None:
        generations = self._index_dir / "generations"
        old = sorted(
            (
                p
                for p in generations.iterdir()
                if p.is_dir() and p.name != keep and "." not in p.name
            ),
            key=lambda p: p.name,
        )
        for path in old[: max(0, len(old) - _KEEP_OLD_GENERATIONS)]:
            shutil.rmtree(path, ignore_errors=True)

    def _release(self) -> None:
        self._closed = True
        fcntl.flock(self._lock, fcntl.LOCK_UN)
        self._lock.close()


def _edge_config(dimension: int) -> qe.EdgeConfig:
    return qe.EdgeConfig(
        vectors={DENSE: qe.EdgeVectorParams(size=dimension, distance=qe.Distance.Cosine)},
        sparse_vectors={SPARSE: qe.EdgeSparseVectorParams(modifier=qe.Modifier.Idf)},
        wal_enabled=False,
    )


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
