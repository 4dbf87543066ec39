"""How much the app adds to the model server's own time to first token.

For each question the same request is sent twice, alternately: straight to the vLLM server
(the messages the app would send, streamed with httpx), and through the answer pipeline with
the vLLM generator (intent rules, conversation, retrieval, prompt, streaming, marker check).
The difference of the two times to first token is what the app adds.

    .venv/bin/python benchmarks/model_overhead.py               # starts the tiny CPU vLLM
    .venv/bin/python benchmarks/model_overhead.py --base-url http://127.0.0.1:8011/v1
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.doors.assistant import build_pipeline, load_catalog  # noqa: E402
from app.ground.config import AnswerSettings, ModelSettings, Settings  # noqa: E402
from app.ground.embedding import SentenceTransformerEmbedder  # noqa: E402
from app.index.store import open_reader  # noqa: E402
from app.pipeline.answering import AnswerPipeline, TextDelta  # noqa: E402
from app.pipeline.generators.base import GenerationRequest  # noqa: E402
from app.pipeline.generators.vllm import VllmGenerator, build_messages  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402

# The tiny test model reads at most 1,024 tokens: one passage fits, four do not.
PASSAGES = 1
QUESTIONS = [
    "How do I factory reset my LR-400?",
    "What is the PoE budget of the LS-8P?",
    "How many VLANs can I create on an LS-8P?",
    "Can the LA-6 Pro be powered with a DC adapter instead of PoE?",
    "Which port is WAN2 on the LR-400X?",
    "How do I set up WireGuard on the LR-400?",
]


async def direct_ttft(
    client: httpx.AsyncClient, model: ModelSettings, messages: list[dict[str, str]]
) -> float:
    body = {
        "model": model.name,
        "messages": messages,
        "stream": True,
        "max_tokens": model.max_tokens,
        "temperature": model.temperature,
        **model.extra_body,
    }
    started = time.perf_counter()
    async with client.stream("POST", "/chat/completions", json=body) as response:
        if response.status_code != 200:
            raise RuntimeError(
                f"the server answered {response.status_code}: {await response.aread()!r}"
            )
        async for line in response.aiter_lines():
            if line.startswith("data:") and '"content":"' in line.replace(" ", ""):
                return (time.perf_counter() - started) * 1000
    raise RuntimeError("no content in the direct stream")


async def app_ttft(pipeline: AnswerPipeline, question: str) -> float:
    started = time.perf_counter()
    first = None
    async for event in pipeline.stream(question):
        if first is None and isinstance(event, TextDelta):
            first = (time.perf_counter() - started) * 1000
    assert first is not None
    return first


async def measure(pipeline: AnswerPipeline, model: ModelSettings, rounds: int) -> dict[str, float]:
    client = httpx.AsyncClient(base_url=str(model.base_url), timeout=60, trust_env=False)
    direct: list[float] = []
    via_app: list[float] = []
    for n in range(rounds):
        question = QUESTIONS[n % len(QUESTIONS)]
        answer = await pipeline.answer(question)  # the passages the app would send
        request = GenerationRequest(
            question=answer.query,
            history=(),
            passages=answer.retrieved[:PASSAGES],
            product=answer.product,
        )
        messages = build_messages(request)
        if n % 2:
            direct.append(await direct_ttft(client, model, messages))
            via_app.append(await app_ttft(pipeline, question))
        else:
            via_app.append(await app_ttft(pipeline, question))
            direct.append(await direct_ttft(client, model, messages))
    await client.aclose()
    await pipeline.aclose()
    added = [a - d for a, d in zip(via_app, direct, strict=True)]
    return {
        "rounds": rounds,
        "server_ttft_p50_ms": round(statistics.median(direct), 1),
        "app_ttft_p50_ms": round(statistics.median(via_app), 1),
        "added_p50_ms": round(statistics.median(added), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="a running vLLM server (default: start the tiny one)")
    parser.add_argument("--model", default="support")
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--data", default="data")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    with tempfile.TemporaryDirectory(prefix="supportbot-overhead-") as home:
        settings = Settings(
            home=Path(home), data_dir=Path(args.data), answer=AnswerSettings(passages=PASSAGES)
        )
        run_ingest([Path(args.data)], settings=settings, embedder_factory=lambda: embedder)
        server = None
        base_url = args.base_url
        if base_url is None:
            from tests.vllm_tier.server import VllmServer

            server = VllmServer(Path(home) / "vllm")
            server.start()
            server.wait_ready()
            base_url = server.base_url
        model = ModelSettings(
            base_url=base_url,
            name=args.model,
            max_tokens=16,
            temperature=0,
            classify_intent=True,
            extra_body={"ignore_eos": True},
        )
        reader = open_reader(settings)
        try:
            generator = VllmGenerator(model)
            pipeline = build_pipeline(
                settings,
                reader,
                embedder,
                catalog=load_catalog(settings, Path(args.data)),
                generator=generator,
            )
            result = asyncio.run(measure(pipeline, model, args.rounds))
        finally:
            reader.close()
            if server is not None:
                server.stop()
    print(json.dumps(result))


if __name__ == "__main__":
    main()
