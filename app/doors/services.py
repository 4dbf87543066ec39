"""What the web app opens at start and closes at stop: the index reader, the embedding model,
the database (migrated first), the answer pipeline, the actions (actions.toml), the live bus
between processes, the handoff and conversation services, and the task that pushes people's
messages into chats.

Heavy things are made here, once per process, never at import (a test app built with
`create_app` loads nothing until it starts).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from app.chat import runtime
from app.console import state as app_state
from app.conversation.service import ConversationService
from app.db.chat_writes import ChatWrites
from app.db.engine import make_engine, upgrade
from app.db.live_events import LiveEventLog
from app.doors.assistant import build_pipeline, load_action_runner, load_catalog
from app.doors.metrics import Metrics
from app.ground.config import Settings
from app.handoff.service import Handoff
from app.index.store import open_reader
from app.live.bus import make_bus
from app.pipeline.retrieval import HybridRetriever


def lifespan_for(
    settings: Settings, secret: str, *, with_chat: bool
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: open every service, attach it to the app, close it at the end."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from app.ground.embedding import SentenceTransformerEmbedder

        reader = open_reader(settings)
        embedder = SentenceTransformerEmbedder(settings.embedding_model_path)
        app.state.retriever = HybridRetriever(reader, embedder, settings.retrieval)
        upgrade(settings.resolved_database_url)
        engine = make_engine(settings.resolved_database_url)
        pipeline = build_pipeline(settings, reader, embedder, catalog=load_catalog(settings))
        await asyncio.to_thread(pipeline.warm)
        bus = make_bus(settings.handoff.bus, settings.resolved_database_url, LiveEventLog(engine))
        await bus.start()
        handoff = Handoff(
            engine,
            bus,
            settings.handoff,
            settings.console,
            assistant_name=settings.chat.assistant_name,
        )
        metrics = Metrics(engine)
        app_state.attach(app, engine=engine, handoff=handoff, embedder=embedder, drafter=pipeline)
        app.state.reader, app.state.metrics = reader, metrics
        writes = ChatWrites(engine)  # one write order for Chainlit's layer and the service
        actions = load_action_runner(settings, metrics.observe_action)
        conversation = ConversationService(pipeline, handoff, writes, metrics, actions)
        starters = runtime.load_starters(settings)
        runtime.install(
            runtime.ChatRuntime(settings, engine, secret, starters, conversation, writes)
        )
        pusher = None
        if with_chat:  # Chainlit is imported only once mount_chat has prepared its config
            from app.chat.push import push_people_messages

            pusher = asyncio.create_task(push_people_messages(bus, engine))
        try:
            yield
        finally:
            if pusher is not None:
                pusher.cancel()
            if actions is not None:
                await actions.aclose()
            await handoff.aclose()
            await bus.aclose()
            await pipeline.aclose()
            engine.dispose()
            reader.close()

    return lifespan
