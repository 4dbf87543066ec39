"""The live events' rules without a database: each conversation's numbers delivered once
and in order (app/live/sequence.py), a failed publish retried in order (app/live/relay.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from app.live.bus import LocalBus
from app.live.relay import Relay
from app.live.sequence import Sequencer

Event = dict[str, Any]


def numbered(conversation: str, seq: int) -> Event:
    return {"kind": "message", "conversation_id": conversation, "seq": seq, "message_id": f"m{seq}"}


class FakeLog:
    """An event log holding `stored` (what the handoff committed)."""

    def __init__(self, *stored: Event) -> None:
        self.stored = list(stored)
        self.asked: list[tuple[str, int, int]] = []

    async def since(self, moment: datetime) -> list[Event]:  # noqa: ARG002 (the protocol's)
        return list(self.stored)

    async def between(
        self,
        conversation_id: str,
        after: int,
        before: int,
        not_before: datetime | None = None,  # noqa: ARG002 (the protocol's)
    ) -> list[Event]:
        self.asked.append((conversation_id, after, before))
        return [
            e
            for e in self.stored
            if e["conversation_id"] == conversation_id and after < e["seq"] < before
        ]


def admitted(sequencer: Sequencer, *events: Event) -> list[tuple[str, int]]:
    async def run() -> list[Event]:
        out: list[Event] = []
        for event in events:
            out += await sequencer.admit(event)
        return out

    return [(e["conversation_id"], e["seq"]) for e in asyncio.run(run())]


def test_a_number_seen_before_is_dropped_and_unnumbered_events_pass() -> None:
    sequencer = Sequencer(FakeLog())
    logout = {"kind": "session_revoked", "session_id": "s"}
    assert admitted(sequencer, numbered("a", 1), numbered("a", 2), numbered("a", 2)) == [
        ("a", 1),
        ("a", 2),
    ]
    assert asyncio.run(sequencer.admit(logout)) == [logout]
    assert asyncio.run(sequencer.admit(logout)) == [logout]  # nothing to number: no dedup


def test_a_gap_is_filled_from_the_log_in_order_and_the_late_copy_dropped() -> None:
    log = FakeLog(*(numbered("a", n) for n in range(1, 6)))
    sequencer = Sequencer(log)
    # 3 and 4 were published late (a retry): 5 arrives first and brings them.
    got = admitted(sequencer, numbered("a", 1), numbered("a", 2), numbered("a", 5))
    assert got == [("a", 1), ("a", 2), ("a", 3), ("a", 4), ("a", 5)]
    assert admitted(sequencer, numbered("a", 3), numbered("a", 4)) == []
    assert log.asked == [("a", 2, 5)]


def test_conversations_are_numbered_apart() -> None:
    sequencer = Sequencer(FakeLog())
    got = admitted(sequencer, numbered("a", 1), numbered("b", 1), numbered("a", 2))
    assert got == [("a", 1), ("b", 1), ("a", 2)]


def test_a_local_bus_delivers_a_republished_event_once() -> None:
    async def run() -> list[Event]:
        bus = LocalBus(FakeLog())
        async with bus.subscribe() as events:
            await bus.publish(numbered("a", 1))
            await bus.publish(numbered("a", 1))  # a resubmit published it again
            await bus.publish(numbered("a", 2))
            return [await anext(events), await anext(events)]

    assert [e["seq"] for e in asyncio.run(run())] == [1, 2]


def test_the_relay_retries_a_failed_publish_and_keeps_the_order() -> None:
    sent: list[int] = []
    marked: list[list[int]] = []
    failures = [2]  # the first two attempts fail
    all_out = asyncio.Event()

    async def publish(event: Event) -> None:
        if failures[0] > 0:
            failures[0] -= 1
            raise ConnectionError("database restarting")
        sent.append(event["seq"])

    async def on_published(batch: Sequence[Event]) -> None:
        marked.append([e["seq"] for e in batch])
        if len(marked) == 2:
            all_out.set()

    async def run() -> None:
        relay = Relay(publish, first_pause_s=0.001)
        await relay.send([numbered("a", 1)], on_published)  # fails: retried in the background
        await relay.send([numbered("a", 2)], on_published)  # waits behind it, in order
        await asyncio.wait_for(all_out.wait(), 20)
        assert relay.pending == 0
        await relay.aclose()

    asyncio.run(run())
    assert sent == [1, 2]
    assert marked == [[1], [2]]
