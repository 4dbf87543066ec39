"""Engines and migrations. SQLite under SUPPORTBOT_HOME by default, PostgreSQL by URL."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

T = TypeVar("T")


def normalize_url(url: str) -> str:
    """Plain `postgresql://` URLs use psycopg 3 (the driver we install), not psycopg2."""
    parsed = make_url(url)
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str) -> Engine:
    """An engine for `url`; creates the folder of a SQLite file if needed."""
    url = normalize_url(url)
    parsed = make_url(url)
    connect_args: dict[str, object] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Conversations write in parallel (app.chat.data_layer); SQLite lets one writer in at
        # a time and makes the others wait up to this long instead of the default 5 s.
        connect_args["timeout"] = 30
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)


def in_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction of its own session (committed if it returns). Rows it
    returns stay readable after the session closes."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return work(session)


async def in_thread_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """`in_transaction` in a worker thread, for async callers (the chat, the handoff)."""
    return await asyncio.to_thread(in_transaction, engine, work)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", normalize_url(url).replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (idempotent)."""
    make_engine(url).dispose()  # creates the SQLite folder
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)


def ping(engine: Engine) -> None:
    """`SELECT 1` on a fresh connection from the pool: raises when the database is down."""
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
