"""One ingest at a time: `supportbot ingest` holds this lock for its whole run.

It lives with the doors, not in `ingest`: the PostgreSQL lock needs app.db, and ingest may
import only app.ground and app.index (the import contract in pyproject.toml).

Two ingests writing the same index would each plan from the same stored state and undo each
other's work. With PostgreSQL the lock is an advisory lock on the database, so ingests on
different hosts (or containers) exclude each other; with SQLite, whose database is a file under
SUPPORTBOT_HOME, it is a file lock beside it. Either is released by the operating system or
the server when the process dies. A second run does not wait: it stops at once with an
`AppError("busy")` naming the run that holds the lock (the next night will try again).
"""

from __future__ import annotations

import fcntl
import os
import socket
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from sqlalchemy.engine import make_url

from app.ground.config import Settings
from app.ground.errors import AppError


def _holder() -> str:
    return f"supportbot ingest pid {os.getpid()} on {socket.gethostname()}"


@contextmanager
def ingest_lock(settings: Settings) -> Iterator[None]:
    """Hold the ingest lock of this installation, or raise AppError("busy")."""
    url = settings.resolved_database_url
    if make_url(url).get_backend_name() == "postgresql":
        with _advisory_lock(url, settings.index.collection):
            yield
    else:
        with _file_lock(settings):
            yield


@contextmanager
def _advisory_lock(url: str, collection: str) -> Iterator[None]:
    from app.db.engine import make_engine
    from app.db.locks import advisory_lock_holder, advisory_unlock, try_advisory_lock

    key = zlib.crc32(f"supportbot ingest {collection}".encode())
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.commit()  # autobegun by the first statement; locks are per session
            if not try_advisory_lock(connection, key=key, holder=_holder()):
                found = advisory_lock_holder(connection, key=key)
                who = "another ingest"
                if found:
                    since = f"{found['since'].astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"
                    who = f"{found['holder'] or who}, since {since}"
                raise AppError("busy", f"another ingest is running ({who}); this one did nothing")
            connection.commit()
            try:
                yield
            finally:
                advisory_unlock(connection, key=key)
                connection.commit()
    finally:
        engine.dispose()


@contextmanager
def _file_lock(settings: Settings) -> Iterator[None]:
    settings.home.mkdir(parents=True, exist_ok=True)
    path = settings.home / "ingest-run.lock"
    with path.open("a+", encoding="utf-8") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            who = lock.read().strip() or "another ingest"
            raise AppError(
                "busy", f"another ingest is running ({who}); this one did nothing"
            ) from None
        lock.seek(0)
        lock.truncate()
        lock.write(f"{_holder()}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC\n")
        lock.flush()
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
