"""Operators' view of a running app: /metrics after real chat turns, /readyz, JSON logs.

The metrics are read from a real `supportbot serve` after a customer asked a question over the
chat's own protocol, gave a thumbs up and asked for a person; readiness is checked on that
server and on apps whose model server is down, answering, or serving another model.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from pydantic import SecretStr

from app.db.engine import make_engine, upgrade
from app.doors.health import readiness
from app.doors.web import create_app
from app.ground.config import ModelSettings, Settings
from app.index.store import open_reader
from tests.integration.chat_server import ChatClient, free_port, serve, write_access_point_corpus
from tests.integration.conftest import Ingestor

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A served app with JSON logs, on SQLite; its base URL and home."""
    data = write_access_point_corpus(tmp_path_factory.mktemp("obs-data"), starter="Reset")
    home = tmp_path_factory.mktemp("obs-home")
    with serve(home, data, SUPPORTBOT_LOG__FORMAT="json") as base:
        yield base, home


def scrape(base: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """/metrics as {(sample name, sorted labels): value}."""
    response = httpx.get(f"{base}/metrics", timeout=10)
    response.raise_for_status()
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def value(
    samples: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str
) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_metrics_after_an_answer_a_thumbs_up_and_a_handoff(served: tuple[str, Path]) -> None:
    base, _home = served
    before = scrape(base)
    assert value(before, "supportbot_answer_seconds_count") == 0
    assert value(before, "process_resident_memory_bytes") > 0

    async def scenario() -> dict[str, Any]:
        customer = ChatClient(base)
        await customer.login()
        await customer.connect()
        reply = await customer.ask(
            "How long do I hold the reset button on the AP-2? I'm ana@example.com, 555-201-7788"
        )
        assert "25 seconds" in reply["output"]
        answered = scrape(base)
        response = await customer.http.put(
            "/chat/feedback",
            json={"feedback": {"forId": reply["id"], "value": 1}, "sessionId": customer.session_id},
        )
        response.raise_for_status()
        await customer.wait_for("action")
        action = customer.events_named("action")[0]
        response = await customer.http.post(
            "/chat/project/action", json={"sessionId": customer.session_id, "action": action}
        )
        response.raise_for_status()
        await customer.wait_for_message("passed this conversation to our support team")
        await customer.close()
        return answered

    answered = asyncio.run(scenario())
    for histogram in (
        "supportbot_answer_seconds",
        "supportbot_retrieval_seconds",
        "supportbot_time_to_first_token_seconds",
    ):
        assert value(answered, f"{histogram}_count") == 1, histogram
        assert value(answered, f"{histogram}_sum") > 0, histogram
        assert value(answered, f"{histogram}_bucket", le="+Inf") == 1, histogram
    assert value(answered, "supportbot_answers_total", kind="answer") == 1
    assert value(answered, "supportbot_deflection_rate") == 1.0  # nobody was asked in yet
    assert value(answered, "supportbot_conversations", outcome="deflected") == 1

    after = scrape(base)
    assert value(after, "supportbot_feedback_total", value="up") == 1
    assert value(after, "supportbot_feedback_votes", value="up") == 1
    assert value(after, "supportbot_thumbs_up_ratio") == 1.0
    assert value(after, "supportbot_escalations_total", reason="asked_for_human") == 1
    assert value(after, "supportbot_conversations", outcome="escalated") == 1
    assert value(after, "supportbot_deflection_rate") == 0.0
    # Nothing the customer wrote reaches /metrics.
    text = httpx.get(f"{base}/metrics", timeout=10).text
    assert "ana@example.com" not in text and "AP-2" not in text and "reset" not in text


def test_the_served_app_is_ready_and_logs_json_lines(served: tuple[str, Path]) -> None:
    base, home = served
    response = httpx.get(f"{base}/readyz", timeout=10)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "ready"
    assert body["checks"]["index"]["ok"] and body["checks"]["index"]["passages"] > 0
    assert body["checks"]["database"]["ok"]
    assert body["checks"]["model"] == {"ok": True, "configured": False}
    assert httpx.get(f"{base}/healthz", timeout=10).json() == {"status": "ok"}

    lines = [line for line in (home / "serve.log").read_text().splitlines() if line.strip()]
    entries = [json.loads(line) for line in lines]  # every line is one JSON object
    assert {"time", "level", "logger", "message"} <= set(entries[0])
    assert any(e["logger"] == "uvicorn.access" and "/readyz" in e["message"] for e in entries)
    assert not any("ana@example.com" in line or "555-201-7788" in line for line in lines)


def test_readyz_is_503_while_the_model_server_is_unreachable(
    ingestor: Ingestor, corpus: Path
) -> None:
    ingestor.ingest(corpus)
    closed = f"http://127.0.0.1:{free_port()}/v1"
    settings = ingestor.settings.model_copy(update={"model": ModelSettings(base_url=closed)})
    with TestClient(create_app(settings, with_chat=False)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503
        body = response.json()
        assert body["status"] == "not ready"
        assert body["checks"]["model"]["ok"] is False
        assert body["checks"]["model"]["error"] == "cannot connect"
        assert body["checks"]["index"]["ok"] and body["checks"]["database"]["ok"]
        assert closed not in response.text  # where the server is stays in the log
        assert client.get("/healthz").status_code == 200  # alive all the same


class _ModelServer(BaseHTTPRequestHandler):
    """GET /v1/models as vLLM answers it, behind a bearer key."""

    served: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        if self.headers.get("Authorization") != "Bearer right-key":
            self.send_response(401)
            self.end_headers()
            return
        body = json.dumps({"object": "list", "data": [{"id": m} for m in self.served]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture
def model_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ModelServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def test_the_model_check_wants_the_configured_model_served_with_our_key(
    ingestor: Ingestor, corpus: Path, model_server: str, settings: Settings
) -> None:
    ingestor.ingest(corpus)
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    reader = open_reader(settings)

    def check(served: list[str], key: str) -> tuple[bool, dict[str, Any]]:
        _ModelServer.served = served
        model = ModelSettings(base_url=model_server, api_key=SecretStr(key), name="support")
        return asyncio.run(readiness(reader=reader, engine=engine, model=model))

    try:
        ready, checks = check(["base", "support"], "right-key")
        assert ready and checks["model"]["ok"] and checks["model"]["name"] == "support"
        ready, checks = check(["base"], "right-key")  # the adapter is not loaded
        assert not ready and checks["model"]["error"] == "ModelNotServed"
        ready, checks = check(["base", "support"], "wrong-key")
        assert not ready and checks["model"]["error"] == "HTTP 401"
    finally:
        reader.close()
        engine.dispose()
