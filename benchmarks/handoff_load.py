"""50 concurrent customer conversations with 5 agents: no message lost or duplicated (issue 4).

Serves the demo corpus on a fresh PostgreSQL database (created on `--admin-url`'s server and
dropped afterwards), by default in two app processes sharing it: customers' sockets on one,
the agents' console on the other, so every agent reply reaches its customer through
PostgreSQL LISTEN/NOTIFY (`--processes 1`: one process serves both). Agents are created with
`supportbot agents create --password-stdin`.

Customers (real socket.io clients, the protocol Chainlit's UI speaks) connect at once; each
asks for a person ("I want to talk to a person about my order 100NN"), waits for the "passed
to our support team" notice, then sends `--messages` numbered messages ("c17 m3") at random
intervals; one of them is emitted twice with the same client id (a retry). Each customer
stays connected until its conversation is resolved.

Agents (httpx clients signed in through the login form) keep the console's event stream open
and fetch the queue whenever an escalation event arrives (and every second regardless);
each claims one of the most urgent queued conversations (several agents often go for the
same one: the 409 conflicts are counted, not errors), handles up to `--capacity`
conversations at a time, sends `--replies` numbered replies ("a2 c17 r1", the customer's
number read from the transcript) with a fresh client id each, the first one POSTed twice at
once with the same client id (a double submit), waits until every message of the customer
shows in the console's conversation API (looking again on each event of the conversation, as
its page does), then resolves.

Afterwards it counts, for every message:
- each customer message is stored exactly once in sb_messages, in its own conversation;
- each agent reply is stored exactly once;
- each agent reply reaches its customer's socket (`new_message`) exactly once, and no
  reply reaches another customer;
- each customer message (and reply) shows exactly once in GET /console/api/conversations/ID;
- each conversation was claimed once (one "joined" notice) and resolved once;
- the bot answered none of the messages written after the handoff (stored answers).
Prints a table and one JSON line with the lost / duplicated counts and timings; exits 1 if
anything was lost, duplicated, misdelivered or left unfinished, or the bot spoke.

Timings (ms, `time.perf_counter()` in this client; database times converted to it): the
request for a person until the customer's "passed to our team" notice; a customer message
until the console's event stream announces it, split at the chat process's own timestamps
(created_at: Chainlit started on it; handled_at: stored and taken in hand); how long a
conversation waited for a claim (depends on the agents' pace as much as on the app); the
reply POST, and the reply POST until the customer's socket has it. The benchmark's own
event-loop lag is printed with them: a busy client inflates every figure.

`--kill-midway` kills the customers' process (SIGKILL) once half the agent replies are posted
and starts it again on the same port: customers find their socket closed, reconnect to their
conversation (resume) and send again whatever of theirs the resumed transcript lacks (same
client id); every agent reply must then be on its customer's screen exactly once, pushed or
read on resume (benchmarks/handoff_restart.py).

    .venv/bin/python benchmarks/handoff_load.py
    .venv/bin/python benchmarks/handoff_load.py --kill-midway
    .venv/bin/python benchmarks/handoff_load.py --customers 10 --agents 2 --processes 1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import sys
import tempfile
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.handoff_common import (  # noqa: E402
    CHAT_SECRET,
    POSTGRES_ADMIN_URL,
    ConsoleAgent,
    copy_home,
    create_agents,
    fresh_postgres_database,
    log_problems,
    print_table,
    stats,
    until,
)
from benchmarks.handoff_restart import (  # noqa: E402
    RestartableApp,
    on_screen,
    stay_connected,
)
from tests.integration.chat_server import UNLIMITED_MESSAGES, ChatClient, serve  # noqa: E402

QUEUED_NOTICE = "passed this conversation to our support team"
JOINED_NOTICE = "from our support team has joined the conversation"
RESOLVED_NOTICE = "has marked this conversation as resolved"
REPLY = re.compile(r"^a(\d+) c(\d+) r(\d+)$")
ORDER = re.compile(r"order (\d+)")
ORDER_BASE = 10000


def first_message(customer: int) -> str:
    return f"I want to talk to a person about my order {ORDER_BASE + customer}"


def numbered(customer: int, n: int) -> str:
    return f"c{customer} m{n}"


class TimedChatClient(ChatClient):
    """ChatClient that also notes when each socket.io event arrived."""

    def __init__(self, base: str) -> None:
        super().__init__(base)
        self.arrivals: list[float] = []

    async def _record(self, event: str, data: Any = None) -> None:
        self.arrivals.append(time.perf_counter())
        self.events.append((event, data))

    def received(self, containing: str) -> list[tuple[float, dict[str, Any]]]:
        return [
            (self.arrivals[n], data)
            for n, (event, data) in enumerate(self.events)
            if event == "new_message" and containing in (data.get("output") or "")
        ]


@dataclass
class Posted:
    """One agent reply as the agent sent it."""

    agent: int
    conversation_id: str
    customer: int
    number: int
    client_id: str
    text: str
    sent: float
    statuses: list[int]
    answered: float = 0.0


@dataclass
class Ledger:
    """Everything both sides did, for the counts at the end."""

    customers: int
    sent: dict[int, list[tuple[str, str, float]]] = field(default_factory=lambda: defaultdict(list))
    retried: dict[int, str] = field(default_factory=dict)  # customer -> text sent twice
    thread_of: dict[int, str] = field(default_factory=dict)
    clients: dict[int, TimedChatClient] = field(default_factory=dict)
    escalated_ms: list[float] = field(default_factory=list)
    noticed_at: dict[str, float] = field(default_factory=dict)  # conversation -> queued notice
    claimed_at: dict[str, float] = field(default_factory=dict)
    claims: Counter[str] = field(default_factory=Counter)  # "ok", "conflict", "other"
    claimed_by: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    replies: list[Posted] = field(default_factory=list)
    resolved: Counter[str] = field(default_factory=Counter)
    resolved_at: dict[str, float] = field(default_factory=dict)
    resolve_statuses: list[int] = field(default_factory=list)
    waited_for_messages: list[str] = field(default_factory=list)  # gave up waiting
    problems: list[str] = field(default_factory=list)
    customers_done: int = 0
    loop_lag_ms: list[float] = field(default_factory=list)
    started: float = 0.0
    killed_at: float = 0.0  # --kill-midway: when the customers' process was killed
    back_at: float = 0.0  # ... and healthy again
    sent_again: int = 0  # messages a customer sent again after resuming (in flight at the kill)
    wall_offset: float = field(default_factory=lambda: time.time() - time.perf_counter())


# --- customers -----------------------------------------------------------------------------


async def customer(
    base: str, i: int, ledger: Ledger, args: argparse.Namespace, rng: random.Random
) -> None:
    client = TimedChatClient(base)
    ledger.clients[i] = client
    deadline = time.perf_counter() + args.timeout
    try:
        await client.login()
        await client.connect()
        text, client_id = first_message(i), str(uuid.uuid4())
        start = len(client.events)
        sent = time.perf_counter()
        await client.sio.emit("client_message", client.message_payload(text, client_id))
        ledger.sent[i].append((client_id, text, sent))
        if not await until(lambda: client.answered_since(start), 120, interval=0.02):
            ledger.problems.append(f"c{i}: no answer to the request for a person")
            return
        thread_id = str(client.final_message(start)["threadId"])
        ledger.thread_of[i] = thread_id
        if not await until(lambda: bool(client.received(QUEUED_NOTICE)), 60, interval=0.02):
            ledger.problems.append(f"c{i}: never told that a person will reply")
            return
        noticed = client.received(QUEUED_NOTICE)[0][0]
        ledger.noticed_at[thread_id] = noticed
        ledger.escalated_ms.append((noticed - sent) * 1000)

        async def back_if_dropped() -> None:
            """--kill-midway: the chat page's reconnect (resume), then what was in flight."""
            if args.kill_midway:
                ledger.sent_again += await stay_connected(
                    client, thread_id, ledger.sent[i], deadline
                )

        async def emit(payload: dict[str, Any]) -> None:
            await back_if_dropped()
            try:
                await client.sio.emit("client_message", payload)
            except Exception:
                if not args.kill_midway:
                    raise  # with --kill-midway it is sent again once the chat is back

        twice = rng.randint(1, args.messages) if args.messages > 0 else 0
        for n in range(1, args.messages + 1):
            await asyncio.sleep(rng.uniform(*args.interval))
            text, client_id = numbered(i, n), str(uuid.uuid4())
            payload = client.message_payload(text, client_id)
            ledger.sent[i].append((client_id, text, time.perf_counter()))
            await emit(payload)
            if n == twice:  # the same message again, same client id: a retry
                await asyncio.sleep(rng.uniform(0, 0.1))
                await emit(payload)
                ledger.retried[i] = text

        async def resolved() -> bool:
            await back_if_dropped()
            if args.kill_midway:
                return on_screen(client, RESOLVED_NOTICE) > 0
            return bool(client.received(RESOLVED_NOTICE))

        left = max(1.0, deadline - time.perf_counter())
        if not await until(resolved, left, interval=0.05):
            ledger.problems.append(f"c{i}: the conversation was never resolved")
        await asyncio.sleep(args.linger)  # a late duplicate push would arrive now
    except Exception as exc:  # noqa: BLE001 (counted, not fatal to the others)
        ledger.problems.append(f"c{i}: {exc!r}")
    finally:
        ledger.customers_done += 1
        if client.sio.connected:
            await client.sio.disconnect()


# --- agents --------------------------------------------------------------------------------


async def agent_loop(
    a: int,
    agent: ConsoleAgent,
    ledger: Ledger,
    args: argparse.Namespace,
    rng: random.Random,
    stop: asyncio.Event,
) -> None:
    queue_changed = asyncio.Event()
    queue_changed.set()

    def on_event(_arrived: float, event: dict[str, Any]) -> None:
        if event.get("kind") == "escalation" and event.get("state") == "queued":
            queue_changed.set()

    agent.listeners.append(on_event)
    active: set[asyncio.Task[None]] = set()

    def finished(task: asyncio.Task[None]) -> None:
        active.discard(task)
        queue_changed.set()

    while not stop.is_set():
        if len(active) < args.capacity:
            queue_changed.clear()
            try:
                items = await agent.queue(state="queued")
            except Exception as exc:  # noqa: BLE001
                ledger.problems.append(f"a{a}: queue: {exc!r}")
                items = []
            if items:
                # The most urgent few, as people pick them: agents collide now and then.
                pick = rng.choice(items[: min(3, len(items))])["conversation_id"]
                response = await agent.act(pick, "claim")
                if response.status_code == 200:
                    ledger.claims["ok"] += 1
                    ledger.claimed_by[pick].append(a)
                    ledger.claimed_at.setdefault(pick, time.perf_counter())
                    task = asyncio.create_task(handle(a, agent, pick, ledger, args, rng))
                    active.add(task)
                    task.add_done_callback(finished)
                elif response.status_code == 409:
                    ledger.claims["conflict"] += 1
                else:
                    ledger.claims["other"] += 1
                    ledger.problems.append(f"a{a}: claim {response.status_code} {response.text}")
                continue
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(queue_changed.wait(), 1.0)
    if active:
        await asyncio.gather(*active, return_exceptions=True)


async def handle(
    a: int,
    agent: ConsoleAgent,
    conversation_id: str,
    ledger: Ledger,
    args: argparse.Namespace,
    rng: random.Random,
) -> None:
    try:
        view = await agent.conversation(conversation_id)
        orders = [
            int(m.group(1))
            for message in view["messages"]
            if message["role"] == "customer" and (m := ORDER.search(message["text"]))
        ]
        if not orders:
            ledger.problems.append(f"a{a}: no order number in {conversation_id}")
            return
        i = orders[0] - ORDER_BASE
        for r in range(1, args.replies + 1):
            await asyncio.sleep(rng.uniform(*args.reply_interval))
            client_id, text = str(uuid.uuid4()), f"a{a} c{i} r{r}"
            posted = Posted(a, conversation_id, i, r, client_id, text, time.perf_counter(), [])
            ledger.replies.append(posted)
            form = {"text": text, "client_id": client_id}
            submits = 2 if r == 1 else 1  # the first reply is double-submitted
            responses = await asyncio.gather(
                *(agent.act(conversation_id, "reply", form) for _ in range(submits)),
                return_exceptions=True,
            )
            posted.answered = time.perf_counter()
            for response in responses:
                if isinstance(response, BaseException):
                    posted.statuses.append(-1)
                    ledger.problems.append(f"a{a}: reply {text!r}: {response!r}")
                else:
                    posted.statuses.append(response.status_code)
                    if response.status_code != 200:
                        ledger.problems.append(
                            f"a{a}: reply {text!r}: {response.status_code} {response.text[:200]}"
                        )
        wanted = {numbered(i, n) for n in range(1, args.messages + 1)}

        # As the conversation page does: look again when the event stream says that this
        # conversation has a new message (and every few seconds regardless).
        changed = asyncio.Event()

        def on_event(_arrived: float, event: dict[str, Any]) -> None:
            if event.get("conversation_id") == conversation_id and event.get("kind") == "message":
                changed.set()

        agent.listeners.append(on_event)
        try:
            deadline = time.perf_counter() + args.timeout / 2
            while True:
                changed.clear()
                seen = await agent.conversation(conversation_id)
                texts = {m["text"] for m in seen["messages"] if m["role"] == "customer"}
                if wanted <= texts:
                    break
                if time.perf_counter() > deadline:
                    ledger.waited_for_messages.append(conversation_id)
                    break
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(changed.wait(), 3.0)
        finally:
            agent.listeners.remove(on_event)
        response = await agent.act(conversation_id, "resolve")
        ledger.resolve_statuses.append(response.status_code)
        if response.status_code == 200:
            ledger.resolved[conversation_id] += 1
            ledger.resolved_at[conversation_id] = time.perf_counter()
        else:
            ledger.problems.append(f"a{a}: resolve {response.status_code} {response.text[:200]}")
    except Exception as exc:  # noqa: BLE001
        ledger.problems.append(f"a{a}: handling {conversation_id}: {exc!r}")


# --- the run -------------------------------------------------------------------------------


async def kill_midway(app: RestartableApp, ledger: Ledger, args: argparse.Namespace) -> None:
    """Once half the agent replies are posted, kill the customers' process and start it again
    (customers find their sockets closed and resume; see benchmarks/handoff_restart.py)."""
    half = args.customers * args.replies // 2
    if not await until(lambda: len(ledger.replies) >= half, args.timeout, interval=0.05):
        ledger.problems.append("--kill-midway: half the replies never came; nothing killed")
        return
    ledger.killed_at = time.perf_counter()
    await asyncio.to_thread(app.kill)
    print(f"killed the customers' process after {len(ledger.replies)} replies", flush=True)
    await asyncio.to_thread(app.start)
    ledger.back_at = time.perf_counter()
    print(f"... and it is back after {ledger.back_at - ledger.killed_at:.1f} s", flush=True)


async def run(
    chat_base: str,
    console_base: str,
    usernames: list[str],
    args: argparse.Namespace,
    restartable: RestartableApp | None = None,
) -> tuple[Ledger, list[ConsoleAgent], float]:
    rng = random.Random(args.seed)
    ledger = Ledger(args.customers)
    agents = [ConsoleAgent(console_base, name) for name in usernames]
    for agent in agents:
        await agent.login()
        await agent.open_events()
    stop = asyncio.Event()
    lag = asyncio.create_task(loop_lag(ledger.loop_lag_ms, stop))
    started = ledger.started = time.perf_counter()
    workers = [
        asyncio.create_task(agent_loop(a, agent, ledger, args, random.Random(rng.random()), stop))
        for a, agent in enumerate(agents, 1)
    ]
    if restartable is not None:
        workers.append(asyncio.create_task(kill_midway(restartable, ledger, args)))
    await asyncio.gather(
        *(
            customer(chat_base, i, ledger, args, random.Random(rng.random()))
            for i in range(1, args.customers + 1)
        )
    )
    wall = time.perf_counter() - started
    stop.set()
    await asyncio.gather(*workers, lag, return_exceptions=True)
    return ledger, agents, wall


async def loop_lag(samples: list[float], stop: asyncio.Event, every: float = 0.01) -> None:
    """How late this (the benchmark's own) event loop wakes up: a busy client inflates every
    timing it takes, so the figure is reported next to them."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(every)
        samples.append((time.perf_counter() - before - every) * 1000)


async def console_views(agent: ConsoleAgent, ids: list[str]) -> dict[str, dict[str, Any]]:
    return {cid: await agent.conversation(cid) for cid in ids}


Row = tuple[str, str, str, str, float | None, float | None]


def stored_messages(url: str) -> list[Row]:
    """(id, conversation, role, text, created_at, handled_at) of every stored message, the
    times as `time.time()` seconds."""
    from sqlalchemy import text

    from app.db.engine import make_engine

    query = "SELECT id, conversation_id, role, text, created_at, handled_at FROM sb_messages"
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text(query)).all()
    finally:
        engine.dispose()
    return [
        (
            r[0],
            r[1],
            r[2],
            r[3],
            r[4].timestamp() if r[4] else None,
            r[5].timestamp() if r[5] else None,
        )
        for r in rows
    ]


def count(
    ledger: Ledger,
    rows: list[Row],
    views: dict[str, dict[str, Any]],
    *,
    screens: bool = False,
) -> dict[str, dict[str, int]]:
    """lost / duplicated / misplaced per check."""
    result: dict[str, dict[str, int]] = {}

    def tally(name: str, counts: list[int], expected: int = 1) -> None:
        result[name] = {
            "expected": len(counts),
            "lost": sum(1 for c in counts if c == 0),
            "duplicated": sum(1 for c in counts if c > expected),
        }

    # Customer messages in the database, by text inside their own conversation.
    by_conversation_text: Counter[tuple[str, str, str]] = Counter(
        (row[1], row[2], row[3]) for row in rows
    )
    by_text: Counter[tuple[str, str]] = Counter((row[2], row[3]) for row in rows)
    ids = {row[0]: row for row in rows}
    customer_counts, misplaced = [], 0
    for i, messages in ledger.sent.items():
        thread = ledger.thread_of.get(i, "")
        for client_id, body, _ in messages:
            here = by_conversation_text[(thread, "customer", body)]
            customer_counts.append(here)
            misplaced += by_text[("customer", body)] - here  # stored in another conversation
            stored = ids.get(client_id)
            if here and (stored is None or stored[3] != body):
                misplaced += 1  # stored, but not under the id the chat sent it with
    tally("customer messages stored (sb_messages)", customer_counts)
    result["customer messages stored (sb_messages)"]["misplaced"] = misplaced

    # Agent replies in the database: by id (the client id) and by text.
    reply_counts, reply_misplaced = [], 0
    for posted in ledger.replies:
        row = ids.get(posted.client_id)
        same_text = by_text[("agent", posted.text)]
        reply_counts.append(same_text if row else 0)
        if row and (row[1] != posted.conversation_id or row[2] != "agent"):
            reply_misplaced += 1
    tally("agent replies stored (sb_messages)", reply_counts)
    result["agent replies stored (sb_messages)"]["misplaced"] = reply_misplaced

    if screens:  # --kill-midway: what each customer's chat shows at the end
        result.update(screen_counts(ledger))
        return result

    # Agent replies on the customers' sockets.
    received_counts, wrong = [], 0
    for posted in ledger.replies:
        client = ledger.clients.get(posted.customer)
        got = client.received(posted.text) if client else []
        received_counts.append(
            sum(1 for _, d in got if d.get("id") == posted.client_id and d["output"] == posted.text)
        )
    for i, client in ledger.clients.items():
        for data in client.events_named("new_message"):
            match = REPLY.match(data.get("output") or "")
            if match and (
                int(match.group(2)) != i or data.get("threadId") != ledger.thread_of.get(i)
            ):
                wrong += 1
    tally("agent replies received by the customer (socket)", received_counts)
    result["agent replies received by the customer (socket)"]["misplaced"] = wrong

    # The console's view of each conversation.
    console_customer, console_replies = [], []
    for i, messages in ledger.sent.items():
        view = views.get(ledger.thread_of.get(i, ""), {"messages": []})
        texts = Counter((m["role"], m["text"]) for m in view["messages"])
        console_customer += [texts[("customer", body)] for _, body, _ in messages]
    for posted in ledger.replies:
        view = views.get(posted.conversation_id, {"messages": []})
        console_replies.append(
            sum(1 for m in view["messages"] if m["id"] == posted.client_id and m["role"] == "agent")
        )
    tally("customer messages in the console API", console_customer)
    tally("agent replies in the console API", console_replies)

    # Handoff notices: one "joined" per conversation (one winning claim), one "resolved".
    joined, resolved = [], []
    for client in ledger.clients.values():
        joined.append(len(client.received(JOINED_NOTICE)))
        resolved.append(len(client.received(RESOLVED_NOTICE)))
    tally("'joined' notices (one claim won)", joined)
    tally("'resolved' notices", resolved)
    return result


def screen_counts(ledger: Ledger) -> dict[str, dict[str, int]]:
    """After a restart: every agent reply on its customer's screen once (pushed, or read when
    the chat resumed), none on another's; one 'joined' and one 'resolved' notice each."""
    replies = [on_screen(ledger.clients.get(p.customer), p.text) for p in ledger.replies]
    wrong = 0
    for i, client in ledger.clients.items():
        for posted in ledger.replies:
            if posted.customer != i:
                wrong += on_screen(client, posted.text)
    joined = [on_screen(c, JOINED_NOTICE) for c in ledger.clients.values()]
    resolved = [on_screen(c, RESOLVED_NOTICE) for c in ledger.clients.values()]

    def tally(counts: list[int]) -> dict[str, int]:
        return {
            "expected": len(counts),
            "lost": sum(1 for c in counts if c == 0),
            "duplicated": sum(1 for c in counts if c > 1),
        }

    return {
        "agent replies on the customer's screen (pushed or resumed)": {
            **tally(replies),
            "misplaced": wrong,
        },
        "'joined' notices on screen (one claim won)": tally(joined),
        "'resolved' notices on screen": tally(resolved),
    }


def bot_answers_after_handoff(rows: list[Row], conversation_id: str) -> list[str]:
    """The bot's answers stored after the conversation's "passed to our team" notice.

    Every message a customer sends after that notice is written while a person owns the
    conversation (agents resolve only once they have seen all of them in the console, and the
    customer sends nothing after), so the bot must answer none of them. Counted in the
    database, so that an answer the customer's socket missed (it closed) counts too."""
    mine = [row for row in rows if row[1] == conversation_id]
    handed = min(
        (row[4] or 0.0 for row in mine if row[2] == "system" and QUEUED_NOTICE in row[3]),
        default=None,
    )
    if handed is None:
        return []
    return [row[3] for row in mine if row[2] == "assistant" and (row[4] or 0.0) > handed and row[3]]


JSON_TIMINGS = (
    ("escalation", "customer asks for a person -> queued notice"),
    ("message_to_console", "customer message -> console event"),
    ("message_taken", "  emit -> chat process takes it (created_at)"),
    ("queue_wait", "queued notice -> claimed"),
    ("reply_post", "reply POST (double submits: both)"),
    ("reply_delivery", "reply POST -> customer's socket"),
)


def timings(
    ledger: Ledger, agents: list[ConsoleAgent], rows: list[Row]
) -> dict[str, dict[str, float]]:
    first_seen: dict[str, float] = {}
    for arrived, event in agents[0].events:
        if event.get("kind") == "message" and event.get("role") == "customer":
            first_seen.setdefault(str(event.get("message_id")), arrived)
    to_console = [
        (first_seen[client_id] - sent) * 1000
        for messages in ledger.sent.values()
        for client_id, _, sent in messages[1:]
        if client_id in first_seen
    ]
    # Where a customer message's time goes: the chat process starts on it (Chainlit stamps
    # created_at), stores it and marks it taken in hand (handled_at), triages it and publishes.
    stored = {row[0]: row for row in rows}
    to_start, to_handled, to_event = [], [], []
    for messages in ledger.sent.values():
        for client_id, _, sent in messages[1:]:
            row = stored.get(client_id)
            if row is None or row[4] is None or row[5] is None:
                continue
            emitted = sent + ledger.wall_offset
            to_start.append((row[4] - emitted) * 1000)
            to_handled.append((row[5] - row[4]) * 1000)
            if client_id in first_seen:
                to_event.append((first_seen[client_id] + ledger.wall_offset - row[5]) * 1000)
    delivered = []
    for posted in ledger.replies:
        client = ledger.clients.get(posted.customer)
        got = [
            t
            for t, d in (client.received(posted.text) if client else [])
            if d.get("id") == posted.client_id
        ]
        if got:
            delivered.append((got[0] - posted.sent) * 1000)
    waited = [
        (ledger.claimed_at[c] - ledger.noticed_at[c]) * 1000
        for c in ledger.claimed_at
        if c in ledger.noticed_at
    ]
    return {
        "customer asks for a person -> queued notice": stats(ledger.escalated_ms),
        "customer message -> console event": stats(to_console),
        "  emit -> chat process takes it (created_at)": stats(to_start),
        "  -> stored, marked handled (handled_at)": stats(to_handled),
        "  -> triaged, console event": stats(to_event),
        "queued notice -> claimed": stats(waited),
        "reply POST (double submits: both)": stats(
            [(p.answered - p.sent) * 1000 for p in ledger.replies]
        ),
        "reply POST -> customer's socket": stats(delivered),
        "benchmark client's own event-loop lag": stats(ledger.loop_lag_ms),
    }


def profiled(env: dict[str, str], folder: str | None, role: str) -> dict[str, str]:
    """The app process's environment, with the sampling profiler when --profile is given."""
    if not folder:
        return env
    Path(folder).mkdir(parents=True, exist_ok=True)
    hook = Path(__file__).resolve().parent / "handoff_profile"
    paths = [str(hook), *filter(None, [os.environ.get("PYTHONPATH", "")])]
    target = str(Path(folder).resolve() / f"{role}-%p.json")
    return {**env, "PYTHONPATH": os.pathsep.join(paths), "SUPPORTBOT_PROFILE_FILE": target}


def print_profiles(folder: Path, since: float) -> None:
    """Per app process: the loop lag and pool queues from `since` (time.time(): the run's
    start, not the process's start-up), and what ran on the loop."""
    for path in sorted(folder.glob("*.json")):
        profile = json.loads(path.read_text())
        series = [point for point in profile["series"] if point["at"] >= since]
        if not series:
            continue
        peaks = {
            key: max(point[key] for point in series)
            for key in ("lag_ms", "default", "database", "triage")
        }
        lags = sorted(point["lag_ms"] for point in series)
        print(
            f"\nprofile {path.name}: loop lag p50 {lags[len(lags) // 2]} ms, peak "
            f"{peaks['lag_ms']} ms; peak queued jobs: default pool {peaks['default']}, "
            f"database {peaks['database']}, triage {peaks['triage']}"
        )
        total = max(1, profile["loop_samples"])
        for where, n in profile["loop_ours"][:8]:
            print(f"    {100 * n / total:5.1f}%  loop in {where}")
        for where, n in profile["loop_innermost"][:6]:
            print(f"    {100 * n / total:5.1f}%  loop innermost {where}")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n\n".join(__doc__.split("\n\n")[1:]),
    )
    parser.add_argument("--customers", type=int, default=50)
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument(
        "--messages",
        type=int,
        default=5,
        help="numbered messages per customer after the escalation (5)",
    )
    parser.add_argument("--replies", type=int, default=3, help="replies per conversation (3)")
    parser.add_argument(
        "--capacity", type=int, default=3, help="conversations an agent handles at once (3)"
    )
    parser.add_argument(
        "--interval",
        type=float,
        nargs=2,
        default=(0.2, 1.5),
        metavar=("MIN", "MAX"),
        help="seconds between a customer's messages (0.2 1.5)",
    )
    parser.add_argument(
        "--reply-interval",
        type=float,
        nargs=2,
        default=(0.2, 1.0),
        metavar=("MIN", "MAX"),
        help="seconds before each agent reply (0.2 1.0)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        choices=(1, 2),
        default=2,
        help="2: customers on one app process, the console on another (2)",
    )
    parser.add_argument("--data", default="data", help="corpus to serve (the demo corpus)")
    parser.add_argument(
        "--admin-url",
        default=POSTGRES_ADMIN_URL,
        help="PostgreSQL server where the fresh database is created",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=300,
        help="seconds a customer waits for its conversation to be resolved",
    )
    parser.add_argument(
        "--linger",
        type=float,
        default=1.0,
        help="seconds a customer stays connected after the resolve notice",
    )
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument(
        "--kill-midway",
        action="store_true",
        help="kill the customers' process (SIGKILL) once half the replies are posted and "
        "start it again; customers resume, and every reply must be on their screen once",
    )
    parser.add_argument(
        "--profile",
        metavar="DIR",
        help="sample each app process's event loop and thread-pool queues into DIR "
        "(benchmarks/handoff_profile/sitecustomize.py) and print a summary",
    )
    args = parser.parse_args()
    if args.kill_midway and args.processes != 2:
        parser.error("--kill-midway kills the customers' process: it needs --processes 2")

    data = Path(args.data).resolve()
    with contextlib.ExitStack() as stack:
        url = stack.enter_context(fresh_postgres_database(args.admin_url))
        env = {"SUPPORTBOT_DATABASE_URL": url, "SUPPORTBOT_CHAT__SECRET": CHAT_SECRET}
        env.update(UNLIMITED_MESSAGES)
        homes = [
            Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"sb-load-{n}-")))
            for n in range(args.processes)
        ]
        envs = [profiled(env, args.profile, role) for role in ("chat", "console")]
        print(f"serving {data} on {url} in {args.processes} process(es)...", flush=True)
        restartable: RestartableApp | None = None
        if args.kill_midway:
            restartable = RestartableApp(homes[0], data, envs[0])
            restartable.ingest()
            restartable.start()
            stack.callback(restartable.stop)
            chat_base = restartable.base
        else:
            chat_base = stack.enter_context(serve(homes[0], data, **envs[0]))
        console_base = chat_base
        if args.processes == 2:
            copy_home(homes[0], homes[1])  # its ingest then finds the index up to date
            console_base = stack.enter_context(serve(homes[1], data, **envs[1]))
        usernames = [f"agent{a}" for a in range(1, args.agents + 1)]
        create_agents(homes[-1], data, env, [(u, f"Agent {u[5:]}") for u in usernames])
        print(
            f"{args.customers} customers on {chat_base}, {args.agents} agents on {console_base}...",
            flush=True,
        )

        async def everything() -> tuple[Ledger, list[ConsoleAgent], float, dict[str, Any]]:
            ledger, agents, wall = await run(chat_base, console_base, usernames, args, restartable)
            try:
                views = await console_views(agents[0], sorted(set(ledger.thread_of.values())))
            finally:
                for agent in agents:
                    await agent.close()
                for client in ledger.clients.values():
                    await client.close()
            return ledger, agents, wall, views

        ledger, agents, wall, views = asyncio.run(everything())
        rows = stored_messages(url)
        log = [line for home in homes for line in log_problems(home / "serve.log")]

    checks = count(ledger, rows, views, screens=args.kill_midway)
    if args.profile:
        print_profiles(Path(args.profile), ledger.started + ledger.wall_offset)
    figures = timings(ledger, agents, rows)
    print()
    print_table(
        [
            [name, c["expected"], c["lost"], c["duplicated"], c.get("misplaced", "")]
            for name, c in checks.items()
        ],
        ["check", "expected", "lost", "duplicated", "wrong place"],
    )
    print()
    print_table(
        [
            [name, f.get("n", 0), f.get("p50", "-"), f.get("p95", "-"), f.get("max", "-")]
            for name, f in figures.items()
        ],
        ["timing (ms)", "n", "p50", "p95", "max"],
    )
    unresolved = [c for c in ledger.thread_of.values() if ledger.resolved[c] != 1]
    double_claims = sum(1 for who in ledger.claimed_by.values() if len(who) > 1)
    bot_answers = {
        i: answers
        for i, thread in ledger.thread_of.items()
        if (answers := bot_answers_after_handoff(rows, thread))
    }
    bot_spoke = sum(len(answers) for answers in bot_answers.values())
    print(
        f"\nclaims: {ledger.claims['ok']} won, {ledger.claims['conflict']} conflicts (409), "
        f"{ledger.claims['other']} other; double claims {double_claims}; "
        f"unresolved {len(unresolved)}; bot answers while a person had it {bot_spoke}; "
        f"agents gave up waiting for messages in "
        f"{len(ledger.waited_for_messages)}"
    )
    stream_errors = [e for agent in agents for e in agent.stream_errors]
    errors_to_customers = sum(
        1
        for client in ledger.clients.values()
        for d in client.events_named("new_message")
        if d.get("name") == "Error"
    )
    for n, (i, answers) in enumerate(bot_answers.items()):
        print(f"bot answered c{i} after the handoff: {[a[:60] for a in answers]}")
        if n >= 3:
            continue
        thread = ledger.thread_of.get(i, "")
        resolved = ledger.resolved_at.get(thread, 0.0) + ledger.wall_offset
        transcript = (r for r in rows if r[1] == thread and r[3])  # not Chainlit's run steps
        for row in sorted(transcript, key=lambda r: r[4] or 0):
            created = f"{((row[4] or 0) - resolved) * 1000:+8.0f}"
            handled = f"{((row[5] or 0) - resolved) * 1000:+8.0f}" if row[5] else "       -"
            print(
                f"    {row[2]:9} {row[3][:40]!r:44} created {created} handled {handled} ms"
                " (from the resolve)"
            )
    for problem in ledger.problems[:20]:
        print(f"problem: {problem}")
    for line in log[:10]:
        print(f"server log: {line}")
    if stream_errors:
        print(f"event stream errors: {stream_errors[:5]}")

    lost = sum(c["lost"] for c in checks.values())
    duplicated = sum(c["duplicated"] for c in checks.values())
    misplaced = sum(c.get("misplaced", 0) for c in checks.values())
    summary = {
        "benchmark": "handoff_load",
        "processes": args.processes,
        "customers": args.customers,
        "agents": args.agents,
        "customer_messages": sum(len(m) for m in ledger.sent.values()),
        "retries": len(ledger.retried),
        "agent_replies": len(ledger.replies),
        "double_submits": sum(1 for p in ledger.replies if len(p.statuses) > 1),
        "lost": lost,
        "duplicated": duplicated,
        "misplaced": misplaced,
        "claims_won": ledger.claims["ok"],
        "claim_conflicts": ledger.claims["conflict"],
        "double_claims": double_claims,
        "bot_answers_while_handed_off": bot_spoke,
        "unresolved": len(unresolved),
        "problems": len(ledger.problems),
        "errors_shown_to_customers": errors_to_customers,
        "server_log_errors": len(log),
        **{
            f"{key}_{name}_ms": figures[label].get(name)
            for key, label in JSON_TIMINGS
            for name in ("p50", "p95")
        },
        "wall_s": round(wall, 1),
    }
    if args.kill_midway:
        summary["killed_at_s"] = round(ledger.killed_at - ledger.started, 1)
        summary["down_s"] = round(ledger.back_at - ledger.killed_at, 1)
        summary["sent_again_after_resume"] = ledger.sent_again
    print(json.dumps(summary))
    bad = lost or duplicated or misplaced or unresolved or double_claims or bot_spoke
    bad = bad or ledger.problems or errors_to_customers
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
