"""From a customer's complaint to the escalation showing in an open agent console (issue 4:
p95 <= 1 s).

Starts `supportbot serve` on the demo corpus (SQLite by default; `--database-url URL` or
`--postgres` for a fresh PostgreSQL database, dropped afterwards), creates an agent with
`supportbot agents create --password-stdin`, signs it in with httpx and opens the console's
server-sent event stream (`GET /console/events`), as the console page does, for the whole
run. Then customers, each a real socket.io client (the protocol Chainlit's UI speaks), send
one angry complaint each (wordings vary; all are complaints with a negative sentiment, which
the bot escalates with reason `complaint`), one customer at a time or `--concurrency` at once.

Measured from the moment the customer's `client_message` is emitted:

- answer:   the bot's answer to the complaint is complete (streamed and finally updated). The
            bot answers first (triage, retrieval, extractive answer, persistence) and escalates
            after, so this is part of the escalation's path.
- event:    the console's event stream delivers {"kind": "escalation", "conversation_id":
            <the chat's thread id>}: the moment an open console learns about it.
- queue:    `GET /console/api/queue`, fetched as soon as the event arrives (what the console
            page does, minus its 150 ms debounce), lists the conversation.
- notice:   the customer's socket receives the "passed to our support team" message.

A first complaint warms the model and index caches and is not counted. Prints a table and
one JSON line; exits 1 if a complaint did not escalate within `--timeout` seconds.

    .venv/bin/python benchmarks/handoff_latency.py --customers 30
    .venv/bin/python benchmarks/handoff_latency.py --postgres --concurrency 3
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.handoff_common import (  # noqa: E402
    CHAT_SECRET,
    POSTGRES_ADMIN_URL,
    ConsoleAgent,
    create_agents,
    fresh_postgres_database,
    log_problems,
    print_table,
    stats,
    until,
)
from tests.integration.chat_server import UNLIMITED_MESSAGES, ChatClient, serve  # noqa: E402

TARGET_P95_MS = 1000.0
NOTICE = "passed this conversation to our support team"

# Complaints about the demo corpus's products, each with a negative sentiment; some name an
# order number. The bot answers them from the manuals, then escalates.
COMPLAINTS = [
    "This is ridiculous, my LA-6 keeps dropping wifi. Order 5512X. Useless!",
    "Your LR-200 router is garbage, it reboots every hour and support never helps. So angry. "
    "Order 77120.",
    "Third time I'm writing about this! The LS-8P lost PoE on all ports again. Unacceptable.",
    "I'm furious. The LR-400 firmware update bricked it and nobody answers. Order 66021.",
    "Worst purchase ever, the LA-7 outdoor AP died after a week of rain. Pathetic.",
    "This is a joke. My LS-24P switch keeps flapping ports and your manual is useless.",
    "Absolutely fed up: the LA-6 Pro drops every client at 6pm, every single day. Terrible "
    "product.",
    "Ridiculous service. My LR-400X WAN2 stopped working and I've waited two weeks. Order 90311.",
]


class Console:
    """The open console: one agent's event stream, and the queue fetched on each escalation
    event; remembers when each conversation first showed in each."""

    def __init__(self, agent: ConsoleAgent) -> None:
        self.agent = agent
        self.event_at: dict[str, float] = {}
        self.queue_at: dict[str, float] = {}
        self.queue_fetches = 0
        self._pending: set[str] = set()
        self._kick = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        agent.listeners.append(self._on_event)

    def _on_event(self, arrived: float, event: dict[str, Any]) -> None:
        if event.get("kind") != "escalation":
            return
        conversation_id = str(event.get("conversation_id"))
        self.event_at.setdefault(conversation_id, arrived)
        if conversation_id not in self.queue_at:
            self._pending.add(conversation_id)
            self._kick.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._refresh_queue())

    async def _refresh_queue(self) -> None:
        while True:
            await self._kick.wait()
            self._kick.clear()
            while self._pending:
                items = await self.agent.queue()
                fetched = time.perf_counter()
                self.queue_fetches += 1
                for item in items:
                    self.queue_at.setdefault(item["conversation_id"], fetched)
                self._pending -= set(self.queue_at)
                if self._pending:  # published after the commit, so this should not happen
                    await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task


async def one_customer(base: str, console: Console, index: int, timeout: float) -> dict[str, Any]:
    client = ChatClient(base)
    await client.login()
    await client.connect()
    text = COMPLAINTS[index % len(COMPLAINTS)]
    start = len(client.events)
    sent = time.perf_counter()
    await client.sio.emit("client_message", client.message_payload(text, str(uuid.uuid4())))
    result: dict[str, Any] = {"index": index, "text": text}
    try:
        if not await until(lambda: client.answered_since(start), timeout, interval=0.005):
            result["error"] = "no answer"
            return result
        result["answer_ms"] = (time.perf_counter() - sent) * 1000
        thread_id = str(client.final_message(start)["threadId"])
        result["conversation_id"] = thread_id
        result["answer_kind"] = client.final_message(start).get("metadata", {}).get("answer_kind")
        remaining = max(0.0, timeout - (time.perf_counter() - sent))
        # Both: a queue fetch kicked by another conversation's event may list this one before
        # its own event has arrived.
        if not await until(
            lambda: thread_id in console.queue_at and thread_id in console.event_at, remaining
        ):
            result["error"] = "not escalated" if thread_id not in console.event_at else "not queued"
            return result
        result["event_ms"] = (console.event_at[thread_id] - sent) * 1000
        result["queue_ms"] = (console.queue_at[thread_id] - sent) * 1000
        notice_at: list[float] = []

        def noticed() -> bool:
            if any(NOTICE in (d.get("output") or "") for d in client.events_named("new_message")):
                notice_at.append(time.perf_counter())
                return True
            return False

        if await until(noticed, 10, interval=0.005):
            result["notice_ms"] = (notice_at[0] - sent) * 1000
        return result
    finally:
        await client.close()


async def run(
    base: str, username: str, customers: int, concurrency: int, timeout: float
) -> dict[str, Any]:
    agent = ConsoleAgent(base, username)
    await agent.login()
    await agent.open_events()
    console = Console(agent)
    console.start()
    try:
        warm = await one_customer(base, console, len(COMPLAINTS) - 1, timeout)  # caches
        if "error" in warm:
            raise RuntimeError(f"the warm-up complaint failed: {warm}")
        gate = asyncio.Semaphore(concurrency)

        async def gated(i: int) -> dict[str, Any]:
            async with gate:
                return await one_customer(base, console, i, timeout)

        started = time.perf_counter()
        results = await asyncio.gather(*(gated(i) for i in range(customers)))
        wall = time.perf_counter() - started
    finally:
        await console.stop()
        await agent.close()
    return {
        "results": results,
        "wall_s": wall,
        "stream_errors": agent.stream_errors,
        "queue_fetches": console.queue_fetches,
    }


def report(outcome: dict[str, Any], args: argparse.Namespace, database: str, log: list[str]) -> int:
    results = outcome["results"]
    ok = [r for r in results if "error" not in r]
    failed = [r for r in results if "error" in r]
    figures = {
        name: stats([r[f"{name}_ms"] for r in ok if f"{name}_ms" in r])
        for name in ("answer", "event", "queue", "notice")
    }
    rows = [
        [name, f.get("n", 0), f.get("p50", "-"), f.get("p95", "-"), f.get("max", "-")]
        for name, f in figures.items()
    ]
    print(
        f"\n{len(results)} complaints, concurrency {args.concurrency}, {database}; "
        f"ms from the customer's message"
    )
    print_table(rows, ["until", "n", "p50", "p95", "max"])
    kinds: dict[str, int] = {}
    for r in ok:
        kinds[str(r.get("answer_kind"))] = kinds.get(str(r.get("answer_kind")), 0) + 1
    print(f"bot answer kinds before the escalation: {kinds}")
    for r in failed:
        print(f"FAILED #{r['index']}: {r['error']}: {r['text']!r}")
    if outcome["stream_errors"]:
        print(f"event stream errors: {outcome['stream_errors']}")
    if log:
        print(f"{len(log)} error lines in the server log, first: {log[0]}")
    p95 = figures["event"].get("p95")
    summary = {
        "benchmark": "handoff_latency",
        "database": database,
        "customers": len(results),
        "concurrency": args.concurrency,
        "escalated": len(ok),
        "failed": len(failed),
        "event_p50_ms": figures["event"].get("p50"),
        "event_p95_ms": p95,
        "event_max_ms": figures["event"].get("max"),
        "queue_p50_ms": figures["queue"].get("p50"),
        "queue_p95_ms": figures["queue"].get("p95"),
        "queue_max_ms": figures["queue"].get("max"),
        "answer_p50_ms": figures["answer"].get("p50"),
        "answer_p95_ms": figures["answer"].get("p95"),
        "notice_p95_ms": figures["notice"].get("p95"),
        "target_p95_ms": TARGET_P95_MS,
        "met": bool(p95 is not None and p95 <= TARGET_P95_MS and not failed),
        "server_log_errors": len(log),
        "wall_s": round(outcome["wall_s"], 1),
    }
    print(json.dumps(summary))
    return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    parser.add_argument("--customers", type=int, default=30, help="complaints measured (30)")
    parser.add_argument(
        "--concurrency",
        type=int,
        default=1,
        help="customers complaining at the same time (1: one after another)",
    )
    parser.add_argument("--data", default="data", help="corpus to serve (the demo corpus)")
    database = parser.add_mutually_exclusive_group()
    database.add_argument(
        "--database-url",
        default="",
        help="the app's database (default: SQLite in a temporary home)",
    )
    database.add_argument(
        "--postgres",
        action="store_true",
        help="a fresh PostgreSQL database on --admin-url's server, dropped after",
    )
    parser.add_argument("--admin-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument(
        "--timeout",
        type=float,
        default=60,
        help="seconds a complaint may take to show in the console",
    )
    args = parser.parse_args()

    data = Path(args.data).resolve()
    with contextlib.ExitStack() as stack:
        home = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sb-handoff-lat-")))
        url = args.database_url
        if args.postgres:
            url = stack.enter_context(fresh_postgres_database(args.admin_url))
        env = {"SUPPORTBOT_CHAT__SECRET": CHAT_SECRET, **UNLIMITED_MESSAGES}
        if url:
            env["SUPPORTBOT_DATABASE_URL"] = url
        label = "postgresql" if url.startswith("postgres") else "sqlite"
        base = stack.enter_context(serve(home, data, **env))
        username = f"bench{uuid.uuid4().hex[:8]}"
        create_agents(home, data, env, [(username, "Bench Agent")])
        outcome = asyncio.run(
            run(base, username, args.customers, max(1, args.concurrency), args.timeout)
        )
        log = log_problems(home / "serve.log")
        return report(outcome, args, label, log)


if __name__ == "__main__":
    sys.exit(main())
