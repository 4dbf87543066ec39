"""The web app on the embedded index: search API, search page, and inert customer text."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.doors.web import create_app
from app.ground.config import Settings
from tests.integration.conftest import Ingestor
from tests.integration.console_client import create_agent, login

pytestmark = pytest.mark.slow


def test_search_api_and_page_escape_what_they_echo(ingestor: Ingestor, corpus: Path) -> None:
    (corpus / "kb" / "hostile.md").write_text(
        "# Hostile\n\n"
        "A passage with <script>alert('x')</script> and <img src=x onerror=alert(1)>.\n"
    )
    ingestor.ingest(corpus)
    settings: Settings = ingestor.settings
    with TestClient(create_app(settings)) as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        # Search is for staff: a console login first (the lifespan has migrated the database).
        assert client.get("/api/search", params={"q": "PoE"}).status_code == 401
        create_agent(client.app.state.engine, "staff", "a staff password")
        login(client, "staff", "a staff password")
        body = client.get("/api/search", params={"q": "PoE budget", "k": 2}).json()
        assert body["results"][0]["source"] == "manuals/switch.html"
        assert client.get("/api/search", params={"q": "x" * 2001}).status_code == 400

        page = client.get("/", params={"q": "<script>alert(1)</script> hostile onerror"}).text
        assert "<script>" not in page and "<img" not in page
        assert "&lt;script&gt;" in page
