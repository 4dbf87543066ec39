"""Engines, migrations, and the threads that run database work for async callers.

SQLite under SUPPORTBOT_HOME by default, PostgreSQL by URL.

Async callers (the chat, the handoff, the live bus) run their transactions on this module's
own thread pool, not asyncio's default one: that one also runs CPU work (a customer turn's
triage: spaCy, MiniLM), and under load (50 customers on two cores) a two-millisecond insert
queued behind ninety triages for seconds. Database work mostly waits on the server, so its
pool has as many threads as the engine has connections.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"

T = TypeVar("T")

# Connections per engine (SQLAlchemy's defaults, spelled out): the database threads below
# are as many, so a thread never waits for a connection and a connection never idles.
POOL_SIZE = 5
MAX_OVERFLOW = 10
DATABASE_THREADS = POOL_SIZE + MAX_OVERFLOW

_executor: ThreadPoolExecutor | None = None
_executor_lock = threading.Lock()


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
    pool: dict[str, int] = {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
    if parsed.get_backend_name() == "sqlite":
        pool = {}  # SQLAlchemy's defaults (the same numbers; in-memory pools take none)
        if parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        # Conversations write in parallel (app.chat.data_layer); SQLite lets one writer in at
        # a time and makes the others wait up to this long instead of the default 5 s.
        connect_args["timeout"] = 30
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args, **pool)


def in_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction of its own session (committed if it returns). Rows it
    returns stay readable after the session closes."""
    with Session(engine, expire_on_commit=False) as session, session.begin():
        return work(session)


def database_executor() -> ThreadPoolExecutor:
    """The process's database threads (made at first use; see the module docstring)."""
    global _executor
    with _executor_lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(DATABASE_THREADS, thread_name_prefix="supportbot-db")
        return _executor


async def in_thread_transaction(engine: Engine, work: Callable[[Session], T]) -> T:
    """`in_transaction` on a database thread, for async callers (the chat, the handoff)."""
    context = contextvars.copy_context()  # as asyncio.to_thread does
    return await asyncio.get_running_loop().run_in_executor(
        database_executor(), context.run, in_transaction, engine, work
    )


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
