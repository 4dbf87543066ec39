"""The real model-server tier: one vLLM server (CPU, tiny model + LoRA adapter) per session.

Every test under tests/vllm_tier is marked `vllm_tier` (deselect with -m "not vllm_tier").
The first run builds .vllm-venv and the model (scripts/vllm_tier/setup, a few minutes).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.vllm_tier.server import VllmServer

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


@pytest.fixture(autouse=True)
def _vllm_server_alive(request: pytest.FixtureRequest) -> None:
    if "vllm_server" in request.fixturenames:
        server: VllmServer = request.getfixturevalue("vllm_server")
        if not server.running:
            server.restart()
