"""Integration fixtures: the real MiniLM model (loaded once per session), corpus builders, and
database URLs (a SQLite file, or a fresh PostgreSQL database dropped after the test)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.ground.config import Settings
from app.ground.embedding import SentenceTransformerEmbedder
from app.index.store import open_reader, open_writer
from app.pipeline.retrieval import HybridRetriever
from ingest.pipeline import run_ingest
from ingest.report import IngestReport

POSTGRES_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


class Ingestor:
    """Runs the real ingest pipeline and real searches against one home."""

    def __init__(self, settings: Settings, embedder: SentenceTransformerEmbedder) -> None:
        self.settings = settings
        self.embedder = embedder

    def ingest(self, *paths: Path) -> IngestReport:
        return run_ingest(
            list(paths), settings=self.settings, embedder_factory=lambda: self.embedder
        )

    def search(self, query: str, k: int = 5) -> list[tuple[str, tuple[str, ...], str]]:
        reader = open_reader(self.settings)
        try:
            results = HybridRetriever(reader, self.embedder, self.settings.retrieval).search(
                query, k=k
            )
        finally:
            reader.close()
        return [(r.passage.source, r.passage.heading_path, r.passage.text) for r in results]

    def stored(self) -> set[tuple[str, str]]:
        """(source, content hash) of every stored passage: the index's observable content."""
        writer = open_writer(self.settings, dimension=self.embedder.dimension)
        try:
            return {
                (payload["source"], payload["content_hash"])
                for _, payload in writer.iter_payloads(["source", "content_hash"])
            }
        finally:
            writer.abort()


@pytest.fixture
def ingestor(settings: Settings, embedder: SentenceTransformerEmbedder) -> Ingestor:
    return Ingestor(settings, embedder)


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A small support corpus in three formats."""
    root = tmp_path / "corpus"
    (root / "manuals").mkdir(parents=True)
    (root / "kb").mkdir()
    (root / "manuals" / "ap.md").write_text(
        "---\nproduct: AP-1\n---\n# AP-1 Guide\n\n## Reset\n\n### Factory reset\n\n"
        "Hold the recessed reset button for 10 seconds until the LED blinks amber. "
        "The access point restarts with default settings: the SSID, the admin password and "
        "every VLAN you configured are erased, and the AP asks for adoption again. Release "
        "the button as soon as the LED changes colour; holding it longer does not help.\n\n"
        "## Mounting\n\nScrew the bracket to the ceiling tile with the two supplied screws "
        "and clip the AP on until it clicks. Run the Ethernet cable through the centre hole "
        "before you close the bracket, and keep the AP at least one metre from metal ducts "
        "or fluorescent lights, which weaken the signal.\n",
        encoding="utf-8",
    )
    (root / "manuals" / "switch.html").write_text(
        "<html><head><title>SW-8 Manual</title><meta name='product' content='SW-8'></head><body>"
        "<h1>SW-8 Manual</h1><h2>Power over Ethernet</h2>"
        "<p>The SW-8 supplies up to 120 W of PoE across all ports.</p>"
        "<h2>Port flapping</h2><p>If a port goes up and down, replace the cable and disable "
        "Energy Efficient Ethernet on that port.</p></body></html>",
        encoding="utf-8",
    )
    (root / "kb" / "vpn.txt").write_text(
        "WireGuard VPN disconnects\n\nIf the tunnel drops every few minutes, set the persistent "
        "keepalive to 25 seconds on the client.\n",
        encoding="utf-8",
    )
    return root


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'state' / 'supportbot.db'}"


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test, dropped afterwards."""
    with fresh_postgres_database() as url:
        yield url


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create a PostgreSQL database with a unique name; drop it on exit."""
    name = f"sb_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
