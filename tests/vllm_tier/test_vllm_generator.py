"""The app's vLLM generator against a real vLLM server: plumbing and speed, on the tiny
random-weight model (it starts in seconds and streams fast; its text is noise).

Streaming from an adapter chosen by name, structured output, the breaker when the server dies
mid-stream, a frozen server's timeout: none depends on what the model says. What answers say
(citations, the fallback on an uncited answer, injection, eval) is tested on the real model in
test_real_model_answers.py.
"""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from app.ground.config import ModelSettings, Settings
from app.ground.embedding import SentenceTransformerEmbedder
from app.pipeline.answering import AnswerPipeline
from app.pipeline.generators.base import GenerationRequest, GeneratorUnavailable
from app.pipeline.generators.vllm import VllmGenerator
from app.pipeline.types import ROUTES
from tests.vllm_tier.answering import answer_pipeline, collect
from tests.vllm_tier.server import VllmServer


def _model(server: VllmServer, **overrides: object) -> ModelSettings:
    values: dict[str, object] = {
        "base_url": server.base_url,
        "name": server.adapter,
        "max_tokens": 24,
        "first_token_timeout_s": 20.0,
        "total_timeout_s": 60.0,
        # Random weights may emit end-of-sequence at once; a test needs some text.
        "extra_body": {"ignore_eos": True},
    }
    values.update(overrides)
    return ModelSettings.model_validate(values)


@contextmanager
def _pipeline(
    indexed: tuple[Settings, Path],
    embedder: SentenceTransformerEmbedder,
    generator: VllmGenerator,
) -> Iterator[AnswerPipeline]:
    with answer_pipeline(*indexed, embedder, generator) as pipeline:
        yield pipeline


def _request(question: str = "How long do I hold the reset button?") -> GenerationRequest:
    return GenerationRequest(question=question, history=(), passages=(), product=None)


def test_generator_streams_from_the_adapter_selected_by_name(vllm_server: VllmServer) -> None:
    async def scenario() -> tuple[list[str], float]:
        generator = VllmGenerator(_model(vllm_server))
        started = time.perf_counter()
        pieces: list[str] = []
        first_token = 0.0
        async for piece in generator.stream(_request()):
            if not pieces:
                first_token = time.perf_counter() - started
            pieces.append(piece)
        await generator.aclose()
        return pieces, first_token

    pieces, first_token = asyncio.run(scenario())
    assert len(pieces) >= 2 and "".join(pieces).strip()
    assert first_token < 20

    async def unknown_model() -> None:
        generator = VllmGenerator(_model(vllm_server, name="no-such-adapter", retries=0))
        try:
            async for _ in generator.stream(_request()):
                pass
        finally:
            await generator.aclose()

    with pytest.raises(GeneratorUnavailable, match="HTTP 404"):
        asyncio.run(unknown_model())


def test_intent_classification_uses_structured_output(vllm_server: VllmServer) -> None:
    async def scenario() -> list[object]:
        generator = VllmGenerator(_model(vllm_server))
        try:
            return [
                await generator.classify_intent(text, ())
                for text in ("How do I reset my AP-1?", "This is unacceptable!")
            ]
        finally:
            await generator.aclose()

    for intent in asyncio.run(scenario()):
        assert intent in ROUTES


def test_server_dying_mid_stream_opens_the_breaker_and_recovers(
    vllm_server: VllmServer, indexed: tuple[Settings, Path], embedder: SentenceTransformerEmbedder
) -> None:
    model = _model(
        vllm_server,
        # Long enough that the server cannot have sent it all before it is killed (a warm
        # server streams 200 tiny-model tokens faster than the client reads three pieces).
        max_tokens=700,
        classify_intent=False,
        breaker_failures=1,
        breaker_reset_s=1.0,
        retries=1,
    )
    generator = VllmGenerator(model)

    async def die_mid_stream() -> BaseException:
        try:
            async for index, _piece in _enumerate(generator.stream(_request())):
                if index == 0:
                    vllm_server.kill()
        except GeneratorUnavailable as exc:
            return exc
        raise AssertionError("the stream survived the server's death")

    failure = asyncio.run(die_mid_stream())
    assert isinstance(failure, GeneratorUnavailable) and failure.streamed
    assert generator.breaker.is_open

    # While the breaker is open the pipeline does not even try: extractive, at once.
    with _pipeline(indexed, embedder, generator) as pipeline:
        pipeline.warm()  # triage's language models load once per process: not the breaker's time
        started = time.perf_counter()
        _events, answer = asyncio.run(collect(pipeline, "How long do I hold the reset button?"))
        assert answer.generator == "extractive" and "unavailable" in (answer.notice or "")
        assert "10 seconds" in answer.text
        assert time.perf_counter() - started < 2

    vllm_server.restart()  # takes longer than the breaker's reset time

    async def trial() -> str:
        try:
            return "".join([piece async for piece in generator.stream(_request())])
        finally:
            await generator.aclose()

    assert asyncio.run(trial()).strip()  # the trial call goes through...
    assert not generator.breaker.is_open  # ...and closes the breaker


def test_a_frozen_server_times_out_and_the_answer_falls_back(
    vllm_server: VllmServer, indexed: tuple[Settings, Path], embedder: SentenceTransformerEmbedder
) -> None:
    generator = VllmGenerator(
        _model(vllm_server, first_token_timeout_s=1.0, retries=0, classify_intent=False)
    )
    assert vllm_server.pid is not None
    group = os.getpgid(vllm_server.pid)
    os.killpg(group, signal.SIGSTOP)
    try:
        with _pipeline(indexed, embedder, generator) as pipeline:
            pipeline.warm()
            started = time.perf_counter()
            _events, answer = asyncio.run(collect(pipeline, "How long do I hold the reset button?"))
            elapsed = time.perf_counter() - started
        assert answer.generator == "extractive" and "timed out" in (answer.notice or "")
        assert elapsed < 5
    finally:
        os.killpg(group, signal.SIGCONT)
        asyncio.run(generator.aclose())


async def _enumerate(stream: AsyncIterator[str]) -> AsyncIterator[tuple[int, str]]:
    index = 0
    async for item in stream:
        yield index, item
        index += 1
