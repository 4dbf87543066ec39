"""The Qdrant-server index, exercised through qdrant-client's local mode.

No Qdrant server binary can run on this machine (no Docker engine), so these tests use
qdrant-client's in-process local mode — the same client API and request models a server
receives — to run every code path the server engine shares with the embedded one: ingest
planning, upserts before deletes, BM25 with IDF, filters, and convergence after a crash.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from app.config import Settings
from app.embedding import SentenceTransformerEmbedder
from app.index.models import SearchFilter
from app.index.qdrant_server import QdrantServerIndex
from app.pipeline.retrieval import HybridRetriever
from ingest.pipeline import run_ingest

pytestmark = pytest.mark.slow


@pytest.fixture
def index() -> QdrantServerIndex:
    return QdrantServerIndex.on_client(
        QdrantClient(location=":memory:"), "support", create_dimension=384
    )


def ingest(
    index: QdrantServerIndex,
    corpus: Path,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
):  # type: ignore[no-untyped-def]
    return run_ingest([corpus], settings=settings, embedder_factory=lambda: embedder, writer=index)


def sources(index: QdrantServerIndex) -> set[tuple[str, str]]:
    return {
        (p["source"], p["content_hash"]) for _, p in index.iter_payloads(["source", "content_hash"])
    }


def test_add_change_delete_and_rerun_against_the_server_engine(
    index: QdrantServerIndex,
    corpus: Path,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
) -> None:
    assert ingest(index, corpus, settings, embedder).count("added") == 3
    retriever = HybridRetriever(index, embedder, settings.retrieval)
    assert retriever.search("hold reset button AP-1")[0].passage.source == "manuals/ap.md"

    before = sources(index)
    assert ingest(index, corpus, settings, embedder).count("unchanged") == 3
    assert sources(index) == before

    manual = corpus / "manuals" / "ap.md"
    manual.write_text(manual.read_text().replace("10 seconds", "25 seconds"))
    (corpus / "kb" / "vpn.txt").unlink()
    report = ingest(index, corpus, settings, embedder)
    assert (report.count("updated"), report.count("deleted")) == (1, 1)
    texts = [r.passage.text for r in retriever.search("reset button AP-1", k=10)]
    assert any("25 seconds" in t for t in texts) and not any("10 seconds" in t for t in texts)
    assert {s for s, _ in sources(index)} == {"manuals/ap.md", "manuals/switch.html"}

    hits = retriever.search("PoE", search_filter=SearchFilter(products=("SW-8",)))
    assert hits and {h.passage.product for h in hits} == {"SW-8"}


def test_a_crash_midway_converges_on_rerun(
    index: QdrantServerIndex,
    corpus: Path,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(index, corpus, settings, embedder)
    manual = corpus / "manuals" / "ap.md"
    manual.write_text(manual.read_text() + "\n## Warranty\n\nTwo years, parts and labour.\n")
    (corpus / "kb" / "new.md").write_text("# Guest Wi-Fi\n\nEnable client isolation.\n")

    calls = {"n": 0}
    real_upsert = index.upsert

    def crash_on_second_upsert(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        real_upsert(*args, **kwargs)

    monkeypatch.setattr(index, "upsert", crash_on_second_upsert)
    with pytest.raises(RuntimeError):
        ingest(index, corpus, settings, embedder)
    monkeypatch.setattr(index, "upsert", real_upsert)

    ingest(index, corpus, settings, embedder)
    clean = QdrantServerIndex.on_client(
        QdrantClient(location=":memory:"), "c", create_dimension=384
    )
    ingest(clean, corpus, settings, embedder)
    assert sources(index) == sources(clean)
