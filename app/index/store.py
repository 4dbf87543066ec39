"""Opens the configured index engine: the one place that knows both engines.

`open_reader` and `open_writer` pick the embedded Qdrant Edge generations
(`app.index.edge`, the default) or a Qdrant server (`app.index.qdrant_server`) from the
settings; callers then talk only to the protocols of `app.index.protocols`.
"""

from __future__ import annotations

from app.ground.config import Settings
from app.index.edge import EdgeIndexReader, EdgeIndexWriter
from app.index.protocols import IndexReader, IndexWriter
from app.index.qdrant_server import QdrantRebuild, QdrantServerIndex


def open_reader(settings: Settings) -> IndexReader:
    """A reader on the configured engine."""
    if settings.index.backend == "qdrant":
        return QdrantServerIndex.connect(settings)
    return EdgeIndexReader.open(settings.index_dir)


def open_writer(settings: Settings, *, dimension: int, rebuild: bool = False) -> IndexWriter:
    """A writer on the configured engine (the edge writer also takes the ingest lock).

    `rebuild`: the writer starts from an empty index that replaces the live one on commit
    (readers see the old index until then); otherwise it changes the live index.
    """
    if settings.index.backend == "qdrant":
        if rebuild:
            return QdrantRebuild.begin(settings, dimension=dimension)
        return QdrantServerIndex.connect(settings, create_dimension=dimension)
    return EdgeIndexWriter.open(settings.index_dir, dimension=dimension, fresh=rebuild)
