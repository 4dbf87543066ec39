"""The real model-server tier: vLLM servers on the CPU, each started once per session.

- `vllm_server`: the tiny random-weight model (+ LoRA adapter), for tests of plumbing and
  speed (streaming, the breaker, a server killed mid-stream, adapters): its text is noise.
- `real_model_server`: SmolLM2-135M-Instruct (+ an untrained LoRA adapter), for tests of what
  answers say (citations, fallback on an uncited answer, routing, eval).
A session that uses only one starts only that one.

Every test under tests/vllm_tier is marked `vllm_tier` (deselect with -m "not vllm_tier").
The first run builds .vllm-venv and the models (scripts/vllm_tier/setup, a few minutes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.ground.config import Settings
from app.ground.embedding import SentenceTransformerEmbedder
from tests.vllm_tier.answering import index_corpus
from tests.vllm_tier.server import REAL_MODEL, VllmServer

TIER_DIR = Path(__file__).resolve().parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "vllm_tier: talks to a real vLLM server (tests/vllm_tier; starts one)"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.is_relative_to(TIER_DIR):
            item.add_marker(pytest.mark.vllm_tier)


@pytest.fixture(scope="session")
def vllm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VllmServer]:
    """A started, ready VllmServer shared by the session; stopped at the end.

    A test may kill() it (e.g. mid-stream) and should restart() it afterwards; if a test
    leaves it dead anyway, the next test that uses it gets it restarted first.
    """
    server = VllmServer(tmp_path_factory.mktemp("vllm-server"))
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def real_model_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VllmServer]:
    """A started, ready VllmServer serving SmolLM2-135M-Instruct as "smollm2" (its untrained
    adapter as "support"), shared by the session; stopped at the end."""
    server = VllmServer(tmp_path_factory.mktemp("vllm-real-server"), model=REAL_MODEL)
    server.start()
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _vllm_server_alive(request: pytest.FixtureRequest) -> None:
    for name in ("vllm_server", "real_model_server"):
        if name in request.fixturenames:
            server: VllmServer = request.getfixturevalue(name)
            if not server.running:
                server.restart()


@pytest.fixture(scope="module")
def embedder() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()


@pytest.fixture(scope="module")
def indexed(
    tmp_path_factory: pytest.TempPathFactory, embedder: SentenceTransformerEmbedder
) -> tuple[Settings, Path]:
    """The small knowledge base the answer tests ask about, indexed once per module."""
    return index_corpus(tmp_path_factory.mktemp("kb"), embedder)
