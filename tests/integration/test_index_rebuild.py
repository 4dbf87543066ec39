"""`supportbot ingest --rebuild` as an operator runs it, on both engines: a new index built
from the given folders replaces the live one only when complete, while a reader that was
opened before keeps answering and follows the switch by itself."""

from __future__ import annotations

from pathlib import Path

import pytest
from qdrant_client import QdrantClient

from app.doors.cli import common, main
from app.ground.config import get_settings
from app.ground.embedding import SentenceTransformerEmbedder
from app.index import qdrant_collections as collections
from app.index.store import open_reader
from app.pipeline.retrieval import HybridRetriever

pytestmark = [
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:Payload indexes have no effect in the local Qdrant"),
]


class SharedClient(QdrantClient):
    """One in-process "server" for every command of a test: closing a handle keeps it up."""

    def close(self, grpc_grace: float | None = None, **kwargs: object) -> None:
        pass


@pytest.fixture(autouse=True)
def _shared_embedder(
    monkeypatch: pytest.MonkeyPatch, embedder: SentenceTransformerEmbedder
) -> None:
    monkeypatch.setattr(common, "embedder", lambda _settings: embedder)


@pytest.fixture(params=["edge", "qdrant"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str | QdrantClient:
    """The engine under test; for "qdrant", the client every command gets."""
    if request.param == "edge":
        return "edge"
    server = SharedClient(location=":memory:")
    monkeypatch.setenv("SUPPORTBOT_INDEX__BACKEND", "qdrant")
    monkeypatch.setenv("SUPPORTBOT_INDEX__QDRANT_URL", "http://qdrant.invalid:6333")
    monkeypatch.setattr("app.index.qdrant_server.make_client", lambda _settings: server)
    get_settings.cache_clear()
    return server


def sources_found(retriever: HybridRetriever, query: str) -> set[str]:
    return {r.passage.source for r in retriever.search(query, k=10)}


def test_rebuild_replaces_the_index_only_when_complete(
    backend: str | QdrantClient,
    corpus: Path,
    tmp_path: Path,
    embedder: SentenceTransformerEmbedder,
    capsys: pytest.CaptureFixture[str],
) -> None:
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "guest.md").write_text("# Guest Wi-Fi\n\nEnable client isolation.\n")
    assert main(["ingest", str(corpus)]) == 0
    assert main(["ingest", str(extra)]) == 0
    settings = get_settings()
    reader = open_reader(settings)  # opened before the rebuild, like a serving app's
    retriever = HybridRetriever(reader, embedder, settings.retrieval)
    assert "guest.md" in sources_found(retriever, "guest wifi client isolation")

    # A source that cannot be read stops the rebuild before anything is switched.
    (corpus / "kb" / "broken.md").write_bytes(b"")
    capsys.readouterr()
    assert main(["ingest", "--rebuild", str(corpus)]) == 1
    assert "broken.md: empty file" in capsys.readouterr().err
    assert "guest.md" in sources_found(retriever, "guest wifi client isolation")
    (corpus / "kb" / "broken.md").unlink()

    manual = corpus / "manuals" / "ap.md"
    manual.write_text(manual.read_text().replace("10 seconds", "15 seconds"))
    assert main(["ingest", "--rebuild", str(corpus)]) == 0
    assert "3 added" in capsys.readouterr().out
    texts = [r.passage.text for r in retriever.search("reset button AP-1", k=10)]
    assert any("15 seconds" in t for t in texts) and not any("10 seconds" in t for t in texts)
    # Only the rebuilt folder is left; the index answers with the same reader.
    assert "guest.md" not in sources_found(retriever, "guest wifi client isolation")
    reader.close()

    if isinstance(backend, QdrantClient):
        live = collections.alias_target(backend, settings.index.collection)
        assert collections.collection_names(backend) == {live}
    else:
        assert not list((settings.index_dir / "generations").glob("*.building"))
    assert main(["ingest", str(corpus)]) == 0  # the nightly run after a rebuild
    assert "3 unchanged" in capsys.readouterr().out
