"""The one place that reads (and writes) what the web app keeps on `app.state`, typed.

`create_app` (app.doors.web) calls `install` when it builds the app (the settings, and what
lives as long as the app: the login limiter, the cache of question vectors) and `attach` in
its lifespan (the database engine, the handoff service, the embedding model, the answer pipeline
the copilot drafts with). Tests that skip
the lifespan set the same attributes (`engine`, `handoff`, `embedder`, `drafter`) themselves, so the
names stay plain attributes rather than one object. Everything else asks the getters here:
they take the request, so FastAPI calls them as dependencies (app.console.deps), and they
check the type, so a missing service is a clear RuntimeError rather than an AttributeError
deep in a route. The web app reads its own objects (the index reader, the retriever, the
metrics) with the same `typed` and `present`.
"""

from __future__ import annotations

from typing import TypeVar, cast

from fastapi import FastAPI, Request
from sqlalchemy import Engine
from starlette.datastructures import State

from app.console.copilot import Drafter
from app.console.grouping import VectorCache
from app.console.limiter import LoginLimiter
from app.ground.config import Settings
from app.ground.embedding import Embedder
from app.handoff.service import Handoff

T = TypeVar("T")


def state_of(source: Request | FastAPI) -> State:
    """The app's state, from a request or the app itself."""
    app = source.app if isinstance(source, Request) else source
    return cast(State, app.state)


def present(source: Request | FastAPI, name: str) -> object:
    """`app.state.<name>`, which must be set (for a Protocol type, which isinstance cannot
    check: the caller casts)."""
    value: object = getattr(state_of(source), name, None)
    if value is None:
        raise RuntimeError(f"app.state.{name} is not set: was the app started?")
    return value


def typed(source: Request | FastAPI, name: str, kind: type[T]) -> T:
    """`app.state.<name>`, which must be a `kind`."""
    value = present(source, name)
    if not isinstance(value, kind):
        raise RuntimeError(f"app.state.{name} is not a {kind.__name__}")
    return value


def install(app: FastAPI, settings: Settings) -> None:
    """What the app holds from the start: its settings and its in-memory helpers."""
    state = state_of(app)
    state.settings = settings
    state.login_limiter = LoginLimiter()
    # Question vectors stay cached for the app's lifetime: a reload embeds only new questions.
    state.question_vectors = VectorCache()


def attach(
    app: FastAPI,
    *,
    engine: Engine,
    handoff: Handoff,
    embedder: Embedder,
    drafter: Drafter | None = None,
) -> None:
    """The services the lifespan opens."""
    state = state_of(app)
    state.engine, state.handoff = engine, handoff
    state.embedder = embedder  # the console's insights group questions with it
    state.drafter = drafter  # the chat's answer pipeline, which drafts the agents' replies


def settings_of(request: Request) -> Settings:
    return typed(request, "settings", Settings)


def engine_of(request: Request) -> Engine:
    return typed(request, "engine", Engine)


def handoff_of(request: Request) -> Handoff:
    return typed(request, "handoff", Handoff)


def embedder_of(request: Request) -> Embedder | None:
    """The embedding model, or None where the app runs without one (questions are then
    grouped by wording)."""
    return cast(Embedder | None, getattr(state_of(request), "embedder", None))


def drafter_of(request: Request) -> Drafter | None:
    """The answer pipeline the copilot drafts with, or None where the app runs without one
    (the copilot then says it cannot draft)."""
    return cast(Drafter | None, getattr(state_of(request), "drafter", None))


def limiter_of(request: Request) -> LoginLimiter:
    return typed(request, "login_limiter", LoginLimiter)


def vectors_of(request: Request) -> VectorCache:
    return typed(request, "question_vectors", VectorCache)
