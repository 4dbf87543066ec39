"""Collections on a Qdrant server: versioned collections behind the configured name, an alias.

The name in `SUPPORTBOT_INDEX__COLLECTION` is an alias; the data lives in collections named
`<alias>-<UTC time>-<random>`. Readers query the alias and the server resolves it on every
request, so a rebuild is one atomic alias switch (delete + create in a single
`update_collection_aliases` call) that running apps follow without a restart.

Installs from before aliases have a real collection under the configured name. It is kept
and written in place by the incremental ingest; the first `ingest --rebuild` migrates it
(the one switch that cannot be atomic: the old collection must go before the alias can take
its name, so a query in the instant between two requests fails).
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime

from qdrant_client import QdrantClient, models

from app.index.protocols import DENSE, INDEXED_FIELDS, SPARSE


def new_collection_name(alias: str) -> str:
    """A fresh versioned name: sorts by creation time, never collides with a sibling."""
    return f"{alias}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


def is_version_of(alias: str, name: str) -> bool:
    return re.fullmatch(rf"{re.escape(alias)}-\d{{8}}T\d{{6}}Z-[0-9a-f]{{8}}", name) is not None


def alias_target(client: QdrantClient, alias: str) -> str | None:
    """The collection the alias points at, or None when there is no such alias."""
    # Listing aliases rather than asking `collection_exists`, which answers for an alias and
    # a real collection alike: here the difference matters.
    for description in client.get_aliases().aliases:
        if description.alias_name == alias:
            return description.collection_name
    return None


def collection_names(client: QdrantClient) -> set[str]:
    """Real collections only (aliases are listed separately)."""
    return {c.name for c in client.get_collections().collections}


def create_collection(client: QdrantClient, name: str, dimension: int) -> None:
    """A collection with the engine's vectors and a keyword index on every filtered field."""
    client.create_collection(
        name,
        vectors_config={
            DENSE: models.VectorParams(size=dimension, distance=models.Distance.COSINE)
        },
        sparse_vectors_config={SPARSE: models.SparseVectorParams(modifier=models.Modifier.IDF)},
    )
    # Filters (product, doc type) without an index scan every point on a server.
    for field in INDEXED_FIELDS:
        client.create_payload_index(name, field, field_schema=models.PayloadSchemaType.KEYWORD)


def ensure_alias(client: QdrantClient, alias: str, dimension: int) -> None:
    """First use: create a versioned collection and the alias; otherwise leave things be."""
    if alias_target(client, alias) is not None or alias in collection_names(client):
        return  # an alias already, or a pre-alias install kept as it is
    name = new_collection_name(alias)
    create_collection(client, name, dimension)
    point_alias(client, alias, name, replaces_alias=False)


def point_alias(client: QdrantClient, alias: str, collection: str, *, replaces_alias: bool) -> None:
    """Point `alias` at `collection`; with `replaces_alias`, atomically move it from its target."""
    operations: list[models.AliasOperations] = []
    if replaces_alias:
        operations.append(
            models.DeleteAliasOperation(delete_alias=models.DeleteAlias(alias_name=alias))
        )
    operations.append(
        models.CreateAliasOperation(
            create_alias=models.CreateAlias(collection_name=collection, alias_name=alias)
        )
    )
    # One request: the server applies the operations together, so no query sees no alias.
    client.update_collection_aliases(operations)


def drop_orphans(client: QdrantClient, alias: str) -> list[str]:
    """Drop versioned collections the alias does not point at (a killed rebuild's work)."""
    live = alias_target(client, alias)
    dropped = sorted(n for n in collection_names(client) if is_version_of(alias, n) and n != live)
    for name in dropped:
        client.delete_collection(name)
    return dropped
