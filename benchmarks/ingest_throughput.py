"""Ingest throughput against the floor: raw sentence-transformers encoding of the same passages.

    .venv/bin/python benchmarks/ingest_throughput.py [CORPUS ...]   (default: data/)

1. A full ingest into a fresh temporary home (model loaded beforehand, as in a warm process).
2. The passages it stored, encoded again straight through sentence-transformers' `encode`.
3. A second ingest of the unchanged corpus.
Prints one JSON object: passages, seconds, throughput ratio (target >= 0.80) and the
re-ingest share of the first run's time (target <= 0.05).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from app.ground.config import Settings  # noqa: E402
from app.ground.embedding import SentenceTransformerEmbedder  # noqa: E402
from app.index.models import Passage  # noqa: E402
from app.index.store import open_writer  # noqa: E402
from ingest.pipeline import embedding_text, run_ingest  # noqa: E402


def main() -> None:
    corpora = [Path(p) for p in sys.argv[1:]] or [Path("data")]
    embedder = SentenceTransformerEmbedder()
    embedder.embed_documents(["warm-up"] * 64)
    with tempfile.TemporaryDirectory(prefix="supportbot-bench-") as home:
        settings = Settings(home=Path(home))
        started = time.perf_counter()
        first = run_ingest(corpora, settings=settings, embedder_factory=lambda: embedder)
        ingest_s = time.perf_counter() - started

        writer = open_writer(settings, dimension=embedder.dimension)
        try:
            passages = [Passage.from_payload(i, p) for i, p in writer.iter_payloads(_ALL_FIELDS)]
        finally:
            writer.abort()
        texts = [embedding_text(p) for p in passages]
        model = embedder._model  # the raw sentence-transformers model: the floor
        started = time.perf_counter()
        model.encode(texts, batch_size=settings.ingest.embed_batch_size, normalize_embeddings=True)
        raw_s = time.perf_counter() - started

        started = time.perf_counter()
        second = run_ingest(corpora, settings=settings, embedder_factory=lambda: embedder)
        reingest_s = time.perf_counter() - started

    print(
        json.dumps(
            {
                "corpora": [str(c) for c in corpora],
                "sources": len(first.outcomes),
                "failed": len(first.failures),
                "passages": len(passages),
                "ingest_s": round(ingest_s, 2),
                "raw_encode_s": round(raw_s, 2),
                "ingest_passages_per_s": round(len(passages) / ingest_s, 1),
                "raw_passages_per_s": round(len(passages) / raw_s, 1),
                "throughput_ratio": round(raw_s / ingest_s, 3),
                "reingest_s": round(reingest_s, 2),
                "reingest_share": round(reingest_s / ingest_s, 4),
                "reingest_unchanged": second.count("unchanged"),
                "reingest_embedded": second.passages_embedded,
            }
        )
    )


_ALL_FIELDS = [
    "text", "source", "root", "title", "heading_path", "section_paths", "doc_type",
    "content_hash", "source_hash", "source_passages", "ordinal", "product", "products", "url",
    "page",
    "record_id", "metadata",
]  # fmt: skip

if __name__ == "__main__":
    main()
