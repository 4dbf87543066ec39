"""Triage runs on its own thread, never on the event loop (issue 15, handoff under load).

Triage is CPU work (spaCy, MiniLM); on the event loop it stalls every other chat of the
process while it runs. Each test's triage finishes only once the event loop has done
something else meanwhile: run on the loop itself, it would wait in vain (and give up, after a
generous timeout, with the failure below).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from app.conversation.service import ConversationService
from app.ground.config import AnswerSettings, RetrievalSettings
from app.ground.products import ProductCatalog
from app.pipeline.answering import GREETING_TEXT, AnswerPipeline, Done
from app.pipeline.retrieval import HybridRetriever
from app.pipeline.triage import Triage
from app.pipeline.triage_pool import THREAD_NAME_PREFIX
from app.pipeline.types import Turn
from tests.fakes import FakeTriager, HashingEmbedder, InMemoryIndexReader
from tests.unit.test_conversation_rules import TURN, FakeHandoff, FakePipeline, World

GIVE_UP_S = 20


@dataclass
class LoopWitness:
    """Triage waits for the event loop to answer; records the thread it ran on."""

    started: threading.Event
    loop_answered: threading.Event
    threads: list[str]

    @classmethod
    def new(cls) -> LoopWitness:
        return cls(threading.Event(), threading.Event(), [])

    def during_triage(self) -> None:
        self.threads.append(threading.current_thread().name)
        self.started.set()
        if not self.loop_answered.wait(GIVE_UP_S):
            raise AssertionError("the event loop stood still while triage ran")

    async def answer_from_the_loop(self) -> None:
        """Once triage has started, the loop (if it is free) says so."""
        await asyncio.to_thread(self.started.wait, GIVE_UP_S)
        self.loop_answered.set()


class WitnessedTriager(FakeTriager):
    def __init__(self, witness: LoopWitness) -> None:
        super().__init__()
        self.witness = witness

    def __call__(self, text: str, history: Sequence[Turn] = ()) -> Triage:
        self.witness.during_triage()
        return super().__call__(text, history)


def test_the_answer_pipeline_triages_off_the_event_loop() -> None:
    witness = LoopWitness.new()
    embedder = HashingEmbedder()
    reader = InMemoryIndexReader((), embedder)
    pipeline = AnswerPipeline(
        HybridRetriever(reader, embedder, RetrievalSettings()),
        ProductCatalog(),
        AnswerSettings(),
        triager=WitnessedTriager(witness),
    )

    async def scenario() -> list[object]:
        heartbeat = asyncio.create_task(witness.answer_from_the_loop())
        events = [event async for event in pipeline.stream("hello")]
        await heartbeat
        return events

    events = asyncio.run(scenario())
    assert isinstance(events[-1], Done)
    assert events[-1].answer.text == GREETING_TEXT  # the same answer as triaged on the loop
    assert len(witness.threads) == 1
    assert witness.threads[0].startswith(THREAD_NAME_PREFIX)


@dataclass
class WitnessedPipeline(FakePipeline):
    witness: LoopWitness = field(default_factory=LoopWitness.new)

    def triage(self, message: str, history: tuple[Turn, ...] = ()) -> Triage:
        self.witness.during_triage()
        return super().triage(message, history)


def test_a_handed_off_message_is_triaged_on_the_triage_thread() -> None:
    pipeline = WitnessedPipeline()
    witness = pipeline.witness
    world = World(pipeline=pipeline, handoff=FakeHandoff(bot_answers=False))
    service = ConversationService(world.pipeline, world.handoff, world.store, world.recorder)

    async def scenario() -> None:
        heartbeat = asyncio.create_task(witness.answer_from_the_loop())
        _ = [event async for event in service.take_turn(TURN)]
        await heartbeat

    asyncio.run(scenario())
    # The console heard of the message, then got its triage; the bot said nothing.
    assert [call[0] for call in world.handoff.calls] == ["arrived", "turn"]
    assert len(witness.threads) == 1
    assert witness.threads[0].startswith(THREAD_NAME_PREFIX)


def test_the_triage_thread_runs_the_embedding_model_on_one_core() -> None:
    """Two intra-op threads made a message's embedding 5-10x slower on a busy 2-core host."""
    import torch

    from app.pipeline.triage_pool import in_triage_thread

    torch.set_num_threads(2)  # torch's default on the two-core machines we serve from
    assert asyncio.run(in_triage_thread(torch.get_num_threads)) == 1
