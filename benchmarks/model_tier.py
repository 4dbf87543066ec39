"""The real model tier on the CPU: SmolLM2-135M-Instruct served by vLLM, through the app.

Measures the server's start (scripts/vllm_tier/serve smollm2 until /health answers), then asks
demo questions through the answer pipeline with the vLLM generator (retrieval, prompt,
streaming, marker and support checks, fallback), as the chat does: time to the first shown
token, time to the whole answer, tokens per second while streaming, which generator's answer
was kept, and the model's own text (shown or withdrawn) with whether it cited a passage.
Greedy decoding. The last line is one JSON object.

    .venv/bin/python benchmarks/model_tier.py                    # starts the SmolLM2 server
    .venv/bin/python benchmarks/model_tier.py --base-url http://127.0.0.1:8011/v1
    .venv/bin/python benchmarks/model_tier.py --questions 2 --max-tokens 64
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.doors.assistant import build_pipeline, load_catalog  # noqa: E402
from app.ground.config import AnswerSettings, ModelSettings, Settings  # noqa: E402
from app.ground.embedding import SentenceTransformerEmbedder  # noqa: E402
from app.index.store import open_reader  # noqa: E402
from app.pipeline.answering import AnswerPipeline, Done, Restart, TextDelta  # noqa: E402
from app.pipeline.generators.vllm import VllmGenerator  # noqa: E402
from ingest.pipeline import run_ingest  # noqa: E402

# Answerable demo questions (the KB and manuals answer them) and one no passage answers.
QUESTIONS = [
    "How do I factory reset my LR-400?",
    "What is the PoE budget of the LS-8P?",
    "How many VLANs can I create on an LS-8P?",
    "Can the LA-6 Pro be powered with a DC adapter instead of PoE?",
    "How do I set up WireGuard on the LR-400?",
    "How do I configure OSPF area 0 on the LR-400?",
]
MARKER = re.compile(r"\[\d+\]")


async def ask(pipeline: AnswerPipeline, question: str) -> dict[str, Any]:
    started = time.perf_counter()
    first: float | None = None
    written = ""  # everything streamed, the model's withdrawn text included
    async for event in pipeline.stream(question):
        if isinstance(event, TextDelta):
            first = first if first is not None else time.perf_counter() - started
            written += event.text
        elif isinstance(event, Restart):
            written += "\n<withdrawn>\n"
        elif isinstance(event, Done):
            answer = event.answer
    total = time.perf_counter() - started
    model_text = written.split("\n<withdrawn>\n")[0] if answer.kind == "answer" else ""
    usage = answer.usage.get("small")
    streaming_s = usage.seconds - (first or 0) if usage else 0
    return {
        "question": question,
        "first_token_ms": round((first or total) * 1000),
        "answer_ms": round(total * 1000),
        "kind": answer.kind,
        "kept": answer.generator,
        "notice": answer.notice,
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
        "tokens_per_s": round(usage.completion_tokens / streaming_s, 1)
        if usage and streaming_s > 0
        else None,
        "model_cited": bool(MARKER.search(model_text)),
        "model_text": model_text.strip()[:400],
    }


def start_server(log_dir: Path) -> tuple[Any, float]:
    from tests.vllm_tier.server import REAL_MODEL, VllmServer

    server = VllmServer(log_dir, model=REAL_MODEL)
    started = time.perf_counter()
    server.start()
    server.wait_ready()
    return server, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", help="a running server (default: start SmolLM2's)")
    parser.add_argument("--model", default="smollm2")
    parser.add_argument("--questions", type=int, default=len(QUESTIONS))
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--data", default="data")
    args = parser.parse_args()
    embedder = SentenceTransformerEmbedder()
    result: dict[str, Any] = {"model": args.model, "max_tokens": args.max_tokens}
    with tempfile.TemporaryDirectory(prefix="supportbot-model-tier-") as home:
        settings = Settings(home=Path(home), data_dir=Path(args.data), answer=AnswerSettings())
        run_ingest([Path(args.data)], settings=settings, embedder_factory=lambda: embedder)
        server = None
        base_url = args.base_url
        if base_url is None:
            server, start_s = start_server(Path(home) / "vllm")
            base_url = server.base_url
            result["server_start_s"] = round(start_s, 1)
        model = ModelSettings(
            base_url=base_url,
            name=args.model,
            max_tokens=args.max_tokens,
            temperature=0,
            classify_intent=False,
            first_token_timeout_s=60,
            total_timeout_s=180,
        )
        reader = open_reader(settings)
        try:
            pipeline = build_pipeline(
                settings,
                reader,
                embedder,
                catalog=load_catalog(Path(args.data)),
                generator=VllmGenerator(model),
            )

            async def run() -> list[dict[str, Any]]:
                try:
                    return [await ask(pipeline, q) for q in QUESTIONS[: args.questions]]
                finally:
                    await pipeline.aclose()

            answers = asyncio.run(run())
        finally:
            reader.close()
            if server is not None:
                server.stop()
    for item in answers:
        print(json.dumps(item, ensure_ascii=False))
    generated = [a for a in answers if a["kind"] == "answer"]
    result.update(
        questions=len(answers),
        first_token_p50_ms=statistics.median(a["first_token_ms"] for a in generated or answers),
        answer_p50_ms=statistics.median(a["answer_ms"] for a in generated or answers),
        tokens_per_s_p50=statistics.median(
            [a["tokens_per_s"] for a in generated if a["tokens_per_s"]] or [0]
        ),
        prompt_tokens_p50=statistics.median(a["prompt_tokens"] for a in generated or answers),
        model_cited=sum(a["model_cited"] for a in generated),
        model_kept=sum(a["kept"] == "vllm" for a in generated),
        generated=len(generated),
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
