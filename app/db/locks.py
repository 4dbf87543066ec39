"""PostgreSQL advisory locks: a lock that every process on the database sees, and that the
server releases by itself when the holding session ends (a killed process leaves none)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, text


def try_advisory_lock(connection: Connection, *, key: int, holder: str) -> bool:
    """Take session lock `key` if free, naming this session `holder`; does not wait."""
    connection.execute(
        text("SELECT set_config('application_name', :holder, false)"), {"holder": holder[:63]}
    )
    return bool(
        connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
    )


def advisory_unlock(connection: Connection, *, key: int) -> None:
    connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})


def advisory_lock_holder(connection: Connection, *, key: int) -> dict[str, Any] | None:
    """Who holds lock `key` (its session's name and start), or None when nobody does."""
    row = connection.execute(
        text(
            "SELECT a.application_name, a.backend_start FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid "
            "WHERE l.locktype = 'advisory' AND l.granted AND l.database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND l.classid = (:key >> 32) AND l.objid = (:key & 4294967295) AND l.objsubid = 1"
        ),
        {"key": key},
    ).first()
    return None if row is None else {"holder": row[0], "since": row[1]}
