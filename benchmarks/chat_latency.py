"""First-token and full-answer latency of the chat under concurrent customers.

Starts `supportbot serve` on the demo corpus (embedded defaults: extractive answers), then
connects N real socket.io clients, the protocol Chainlit's web UI speaks, which all ask
questions at once. The time to first token is measured from sending the message to the
first piece of the answer arriving (`stream_start`), as a customer sees it.

    .venv/bin/python benchmarks/chat_latency.py --sessions 20 --questions 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from app.doors.evaluation import percentile  # noqa: E402
from tests.integration.chat_server import UNLIMITED_MESSAGES, ChatClient, serve  # noqa: E402

QUESTIONS = [
    "How do I factory reset my LR-400?",
    "What is the PoE budget of the LS-8P?",
    "My firmware update fails with error E-17. What does it mean?",
    "How many VLANs can I create on an LS-8P?",
    "Can the LA-6 Pro be powered with a DC adapter instead of PoE?",
    "Which port is WAN2 on the LR-400X?",
]


async def one_session(base: str, index: int, questions: int) -> list[tuple[float, float]]:
    client = ChatClient(base)
    await client.login()
    await client.connect()
    timings = []
    for n in range(questions):
        question = QUESTIONS[(index + n) % len(QUESTIONS)]
        start_events = len(client.events)
        sent = time.perf_counter()
        task = asyncio.create_task(client.ask(question, timeout=120))
        while not client.events_named("stream_start", start_events):
            await asyncio.sleep(0.002)
        first_token = time.perf_counter() - sent
        await task
        timings.append((first_token * 1000, (time.perf_counter() - sent) * 1000))
    await client.close()
    return timings


async def run(base: str, sessions: int, questions: int) -> dict[str, float]:
    await one_session(base, 0, 1)  # warm-up: model and index caches
    started = time.perf_counter()
    results = await asyncio.gather(*(one_session(base, i, questions) for i in range(sessions)))
    wall = time.perf_counter() - started
    first = [f for session in results for f, _ in session]
    total = [t for session in results for _, t in session]
    return {
        "sessions": sessions,
        "answers": len(first),
        "first_token_p50_ms": round(percentile(first, 50), 1),
        "first_token_p95_ms": round(percentile(first, 95), 1),
        "answer_p50_ms": round(percentile(total, 50), 1),
        "answer_p95_ms": round(percentile(total, 95), 1),
        "answers_per_s": round(len(first) / wall, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=5)
    parser.add_argument("--data", default="data")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="supportbot-chat-bench-") as home:
        with serve(Path(home), Path(args.data).resolve(), **UNLIMITED_MESSAGES) as base:
            print(json.dumps(asyncio.run(run(base, args.sessions, args.questions))))


if __name__ == "__main__":
    main()
