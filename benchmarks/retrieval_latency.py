"""Hybrid retrieval latency on the embedded index at scale (default 100,000 passages).

    .venv/bin/python benchmarks/retrieval_latency.py [--passages N] [--queries Q]

Embedding 100k passages takes most of an hour on a 2-core CPU, and the search cost does not
depend on what the vectors mean, so the passages are synthetic but shaped like real ones:
each is 5-9 sentences drawn from the demo corpus (real BM25 vocabulary and lengths), and its
dense vector is the normalised sum of those sentences' real MiniLM vectors plus noise. Queries
are other corpus sentences, run through the full in-process path: query embedding (not
cached), BM25 encoding, dense + keyword search, fusion. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from app.doors.evaluation import percentile  # noqa: E402
from app.ground.config import Settings  # noqa: E402
from app.ground.embedding import SentenceTransformerEmbedder  # noqa: E402
from app.ground.text import split_sentences  # noqa: E402
from app.index.models import Passage  # noqa: E402
from app.index.sparse import get_bm25  # noqa: E402
from app.index.store import open_reader, open_writer  # noqa: E402
from app.pipeline.retrieval import HybridRetriever  # noqa: E402


def corpus_sentences(root: Path, limit: int) -> list[str]:
    sentences: set[str] = set()
    for path in sorted(root.rglob("*")):
        if path.suffix in {".md", ".html", ".csv", ".jsonl", ".json", ".txt"}:
            text = re.sub(r"<[^>]+>|[#*`|\"{}\[\]]", " ", path.read_text(errors="ignore"))
            for sentence in split_sentences(" ".join(text.split())):
                if 6 <= len(sentence.split()) <= 40:
                    sentences.add(sentence)
    return sorted(sentences)[:limit]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--corpus", default="data")
    args = parser.parse_args()
    rng = random.Random(7)
    embedder = SentenceTransformerEmbedder()
    pool = corpus_sentences(Path(args.corpus), limit=4000)
    rng.shuffle(pool)
    queries, pool = pool[: args.queries], pool[args.queries :]
    started = time.perf_counter()
    pool_vectors = embedder.embed_documents(pool)
    embed_s = time.perf_counter() - started
    bm25 = get_bm25()
    np_rng = np.random.default_rng(7)

    with tempfile.TemporaryDirectory(prefix="supportbot-bench-") as home:
        settings = Settings(home=Path(home))
        writer = open_writer(settings, dimension=embedder.dimension)
        started = time.perf_counter()
        batch: list[Passage] = []
        vectors: list[np.ndarray] = []
        for n in range(args.passages):
            picks = rng.sample(range(len(pool)), rng.randint(5, 9))
            vector = pool_vectors[picks].sum(axis=0) + np_rng.normal(0, 0.05, embedder.dimension)
            vectors.append(vector / np.linalg.norm(vector))
            text = " ".join(pool[i] for i in picks)
            source = f"synthetic/doc-{n // 20:05}.md"
            batch.append(
                Passage(
                    id=f"00000000-0000-4000-8000-{n:012}", text=text, source=source, root=home,
                    title=f"Doc {n // 20}", heading_path=(f"Doc {n // 20}", f"Section {n % 20}"),
                    section_paths=((f"Doc {n // 20}", f"Section {n % 20}"),), doc_type="manual",
                    content_hash=str(n), source_hash="s", source_passages=20, ordinal=n % 20,
                    products=(rng.choice(["LR-200", "LR-400", "LS-24P", "LA-6", "LA-6 Pro"]),),
                )
            )  # fmt: skip
            if len(batch) == 2000 or n == args.passages - 1:
                dense = np.asarray(vectors, dtype=np.float32)
                writer.upsert(batch, dense, [bm25.encode_document(p.text) for p in batch])
                batch, vectors = [], []
        write_s = time.perf_counter() - started
        started = time.perf_counter()
        writer.commit()
        commit_s = time.perf_counter() - started

        started = time.perf_counter()
        reader = open_reader(settings)
        open_s = time.perf_counter() - started
        retriever = HybridRetriever(reader, embedder, settings.retrieval)
        for query in queries[:20]:  # warm-up: page cache, allocator
            retriever.search(query + " warm", k=5)
        latencies = []
        for query in queries:
            started = time.perf_counter()
            retriever.search(query, k=5)
            latencies.append((time.perf_counter() - started) * 1000)
        count = reader.count()
        reader.close()

    print(
        json.dumps(
            {
                "passages": count,
                "queries": len(latencies),
                "p50_ms": round(percentile(latencies, 50), 2),
                "p95_ms": round(percentile(latencies, 95), 2),
                "max_ms": round(max(latencies), 2),
                "pool_sentences": len(pool),
                "pool_embed_s": round(embed_s, 1),
                "write_s": round(write_s, 1),
                "commit_optimize_s": round(commit_s, 1),
                "open_s": round(open_s, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
