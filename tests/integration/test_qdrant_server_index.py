"""The Qdrant-server index, exercised through qdrant-client's local mode.

No Qdrant server binary can run on this machine (no Docker engine), so these tests use
qdrant-client's in-process local mode — the same client API and request models a server
receives, aliases included — to run every code path the server engine shares with the
embedded one: ingest planning, upserts before deletes, BM25 with IDF, filters, convergence
after a crash; and the server's own: the alias over versioned collections, a rebuild switched
atomically, payload indexes, the API key on the wire (against a stub HTTP server).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from qdrant_client import QdrantClient, models

from app.ground.config import IndexSettings, Settings
from app.ground.embedding import SentenceTransformerEmbedder, Vectors
from app.ground.errors import AppError
from app.index import qdrant_collections as collections
from app.index.models import SearchFilter
from app.index.protocols import IndexWriter
from app.index.qdrant_server import QdrantRebuild, QdrantServerIndex
from app.pipeline.retrieval import HybridRetriever
from ingest.pipeline import run_ingest
from ingest.report import IngestReport

pytestmark = [
    pytest.mark.slow,
    # Said once per test by local mode; what a server would index is checked below instead.
    pytest.mark.filterwarnings("ignore:Payload indexes have no effect in the local Qdrant"),
]

ALIAS = "support"


class RecordingClient(QdrantClient):
    """Local mode, plus a record of the requests local mode accepts but does not keep."""

    def __init__(self) -> None:
        super().__init__(location=":memory:")
        self.payload_indexes: list[tuple[str, str, Any]] = []
        self.alias_requests: list[list[Any]] = []

    def create_payload_index(  # type: ignore[override]
        self, collection_name: str, field_name: str, **kwargs: Any
    ) -> models.UpdateResult:
        # Local mode ignores keyword indexes (its `payload_schema` stays empty), so the test
        # checks what a server would be asked to build.
        self.payload_indexes.append((collection_name, field_name, kwargs.get("field_schema")))
        return super().create_payload_index(collection_name, field_name, **kwargs)

    def update_collection_aliases(  # type: ignore[override]
        self, change_aliases_operations: Sequence[Any], **kwargs: Any
    ) -> bool:
        self.alias_requests.append(list(change_aliases_operations))
        return super().update_collection_aliases(change_aliases_operations, **kwargs)


@pytest.fixture
def client() -> RecordingClient:
    return RecordingClient()


@pytest.fixture
def index(client: RecordingClient) -> QdrantServerIndex:
    return QdrantServerIndex.on_client(client, ALIAS, create_dimension=384)


def ingest(
    index: IndexWriter,
    corpus: Path,
    settings: Settings,
    embedder: Any,
    *,
    rebuild: bool = False,
) -> IngestReport:
    return run_ingest(
        [corpus], settings=settings, embedder_factory=lambda: embedder, writer=index,
        rebuild=rebuild,
    )  # fmt: skip


def rebuild(client: QdrantClient, corpus: Path, settings: Settings, embedder: Any) -> IngestReport:
    writer = QdrantRebuild.start(client, ALIAS, dimension=384)
    return ingest(writer, corpus, settings, embedder, rebuild=True)


def live(client: QdrantClient) -> str:
    target = collections.alias_target(client, ALIAS)
    assert target is not None
    return target


def texts(retriever: HybridRetriever, query: str) -> list[str]:
    return [r.passage.text for r in retriever.search(query, k=10)]


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


# -- the alias over versioned collections -------------------------------------------------


@pytest.mark.usefixtures("index")
def test_first_use_creates_a_versioned_collection_behind_the_alias(
    client: RecordingClient,
) -> None:
    target = live(client)
    assert re.fullmatch(r"support-\d{8}T\d{6}Z-[0-9a-f]{8}", target)
    assert collections.collection_names(client) == {target}  # the alias is not a collection
    keyword = models.PayloadSchemaType.KEYWORD
    indexed = {(field, schema) for name, field, schema in client.payload_indexes if name == target}
    assert {("products", keyword), ("doc_type", keyword)} <= indexed

    QdrantServerIndex.on_client(client, ALIAS, create_dimension=384)  # the next ingest
    assert collections.collection_names(client) == {target} and live(client) == target


def test_a_rebuild_switches_the_alias_atomically_and_readers_follow(
    client: RecordingClient,
    index: QdrantServerIndex,
    corpus: Path,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(index, corpus, settings, embedder)
    old = live(client)
    # A running app's reader: its own object on the alias, never told about the rebuild.
    reader = QdrantServerIndex.on_client(client, ALIAS)
    retriever = HybridRetriever(reader, embedder, settings.retrieval)
    manual = corpus / "manuals" / "ap.md"
    manual.write_text(manual.read_text().replace("10 seconds", "15 seconds"))

    writer = QdrantRebuild.start(client, ALIAS, dimension=384)
    seen_while_building: list[list[str]] = []
    real_upsert, real_commit = writer.upsert, writer.commit

    def upsert_then_query(*args: Any) -> None:
        real_upsert(*args)
        seen_while_building.append(texts(retriever, "reset button AP-1"))

    def commit_after_a_query() -> None:
        seen_while_building.append(texts(retriever, "reset button AP-1"))
        client.alias_requests.clear()
        real_commit()

    monkeypatch.setattr(writer, "upsert", upsert_then_query)
    monkeypatch.setattr(writer, "commit", commit_after_a_query)
    report = ingest(writer, corpus, settings, embedder, rebuild=True)

    assert report.count("added") == 3 and report.passages_total > 0
    assert seen_while_building and all(
        any("10 seconds" in t for t in seen) and not any("15 seconds" in t for t in seen)
        for seen in seen_while_building
    )  # the old index, whole, until the switch
    after = texts(retriever, "reset button AP-1")
    assert any("15 seconds" in t for t in after) and not any("10 seconds" in t for t in after)
    new = live(client)
    assert new != old and collections.collection_names(client) == {new}  # the old one dropped
    [request] = client.alias_requests  # one request: delete and create applied together
    assert len(request) == 2 and isinstance(request[0], models.DeleteAliasOperation)
    assert isinstance(request[1], models.CreateAliasOperation)
    assert reader.count() == report.passages_total


class FailingEmbedder:
    """Embeds nothing: the model server died, or ran out of memory, mid-rebuild."""

    dimension = 384

    def embed_documents(self, *_args: Any, **_kwargs: Any) -> Vectors:
        raise RuntimeError("out of memory")


@pytest.mark.parametrize("failure", ["embedder", "upsert", "source"])
def test_a_rebuild_that_fails_keeps_the_live_index_and_leaves_no_orphan(
    failure: str,
    client: RecordingClient,
    index: QdrantServerIndex,
    corpus: Path,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest(index, corpus, settings, embedder)
    old, before = live(client), sources(index)
    retriever = HybridRetriever(index, embedder, settings.retrieval)
    results = texts(retriever, "reset button AP-1")
    (corpus / "kb" / "new.md").write_text("# Guest Wi-Fi\n\nEnable client isolation.\n")

    writer = QdrantRebuild.start(client, ALIAS, dimension=384)
    used: Any = embedder
    if failure == "embedder":
        used = FailingEmbedder()
    elif failure == "upsert":
        calls, real_upsert = [0], writer.upsert

        def power_cut_on_second_upsert(*args: Any) -> None:
            calls[0] += 1
            if calls[0] == 2:
                raise RuntimeError("power cut")
            real_upsert(*args)

        monkeypatch.setattr(writer, "upsert", power_cut_on_second_upsert)
    else:
        (corpus / "kb" / "broken.md").write_bytes(b"")
    with pytest.raises((RuntimeError, AppError)) as raised:
        ingest(writer, corpus, settings, used, rebuild=True)
    if failure == "source":
        assert "broken.md: empty file" in str(raised.value)

    assert live(client) == old and collections.collection_names(client) == {old}
    assert sources(index) == before and texts(retriever, "reset button AP-1") == results


def test_incremental_ingest_after_a_rebuild_writes_through_the_alias(
    client: RecordingClient,
    index: QdrantServerIndex,
    corpus: Path,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
) -> None:
    ingest(index, corpus, settings, embedder)
    rebuild(client, corpus, settings, embedder)
    rebuilt = live(client)

    (corpus / "kb" / "vpn.txt").unlink()
    (corpus / "kb" / "new.md").write_text("# Guest Wi-Fi\n\nEnable client isolation.\n")
    report = ingest(index, corpus, settings, embedder)
    assert (report.count("added"), report.count("deleted"), report.count("unchanged")) == (1, 1, 2)
    assert live(client) == rebuilt and collections.collection_names(client) == {rebuilt}
    stored = QdrantServerIndex(client, rebuilt)  # the collection itself, not the alias
    assert {s for s, _ in sources(stored)} == {"manuals/ap.md", "manuals/switch.html", "kb/new.md"}
    retriever = HybridRetriever(index, embedder, settings.retrieval)
    assert retriever.search("guest wifi client isolation")[0].passage.source == "kb/new.md"


def test_a_killed_rebuilds_collection_is_dropped_by_the_next_rebuild(
    client: RecordingClient,
    index: QdrantServerIndex,
    corpus: Path,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
) -> None:
    ingest(index, corpus, settings, embedder)
    QdrantRebuild.start(client, ALIAS, dimension=384)  # then the process is killed
    assert len(collections.collection_names(client)) == 2
    rebuild(client, corpus, settings, embedder)
    assert collections.collection_names(client) == {live(client)}


def test_a_collection_from_before_aliases_is_kept_then_migrated_by_a_rebuild(
    client: RecordingClient,
    corpus: Path,
    settings: Settings,
    embedder: SentenceTransformerEmbedder,
) -> None:
    collections.create_collection(client, ALIAS, 384)  # what older versions created
    legacy = QdrantServerIndex.on_client(client, ALIAS, create_dimension=384)
    assert ingest(legacy, corpus, settings, embedder).count("added") == 3
    assert collections.alias_target(client, ALIAS) is None  # written in place, as before
    assert collections.collection_names(client) == {ALIAS}

    rebuild(client, corpus, settings, embedder)
    assert collections.collection_names(client) == {live(client)} != {ALIAS}
    retriever = HybridRetriever(legacy, embedder, settings.retrieval)  # same name, now an alias
    assert retriever.search("hold reset button AP-1")[0].passage.source == "manuals/ap.md"


# -- the API key --------------------------------------------------------------------------


@pytest.fixture
def stub_server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """An HTTP server answering as Qdrant would, recording each request's path and headers."""
    seen: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self, body: dict[str, Any]) -> None:
            seen.append({"path": self.path, **{k.lower(): v for k, v in self.headers.items()}})
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # the client's version check
            self._answer({"title": "qdrant", "version": "1.20.0"})

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self._answer({"result": {"count": 7}, "status": "ok", "time": 0.0})

        def log_message(self, *_args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", seen
    server.shutdown()
    server.server_close()


@pytest.mark.filterwarnings("ignore:Api key is used with an insecure connection")
def test_the_api_key_comes_from_settings_and_stays_out_of_reprs_and_logs(
    stub_server: tuple[str, list[dict[str, str]]],
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url, seen = stub_server
    secret = "k3y-that-must-not-leak"
    configured = settings.model_copy(
        update={
            "index": IndexSettings(
                backend="qdrant", qdrant_url=url, qdrant_api_key=SecretStr(secret)
            )
        }
    )
    caplog.set_level(logging.DEBUG)
    reader = QdrantServerIndex.connect(configured)
    try:
        assert reader.count() == 7
    finally:
        reader.close()

    deadline = time.monotonic() + 10
    while not any(r["path"] == "/" for r in seen) and time.monotonic() < deadline:
        time.sleep(0.05)  # the client checks the server's version from a thread of its own
    [count] = [r for r in seen if r["path"].startswith("/collections/")]
    assert count["path"] == "/collections/supportbot/points/count"  # the alias, resolved there
    assert {r["path"] for r in seen} == {"/", count["path"]}
    assert all(r["api-key"] == secret for r in seen)
    for shown in (repr(configured), str(configured), repr(reader), caplog.text):
        assert secret not in shown
