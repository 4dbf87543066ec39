"""The real Alembic migrations on SQLite and on PostgreSQL, and the ingest run history."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.orm import Session

from app.db.engine import downgrade, make_engine, upgrade
from app.db.ingest_runs import recent_runs, record_run

CONVERSATION_TABLES = {
    "sb_customers", "sb_conversations", "sb_messages", "sb_citations", "sb_feedback",
    "sb_elements", "sb_csat_surveys",
}  # fmt: skip


def summary(added: int, started_at: str) -> dict[str, object]:
    return {
        "started_at": started_at, "duration_s": 1.5, "roots": ["/data"], "added": added,
        "updated": 0, "unchanged": 2, "deleted": 0, "failed": 1, "passages_total": 40,
        "report_path": "/var/reports/r.json",
        "failures": [{"source": "bad.pdf", "reason": "could not read PDF"}],
    }  # fmt: skip


@pytest.mark.parametrize("backend", ["sqlite", "postgres"])
def test_migrations_apply_record_runs_and_roll_back(
    backend: str, request: pytest.FixtureRequest
) -> None:
    url: str = request.getfixturevalue(f"{backend}_url")
    upgrade(url)
    upgrade(url)  # idempotent
    engine = make_engine(url)
    try:
        assert CONVERSATION_TABLES | {"sb_ingest_runs"} <= set(inspect(engine).get_table_names())
        with Session(engine) as session, session.begin():
            record_run(session=session, summary=summary(3, "2026-11-20T02:00:00+0000"))
            record_run(session=session, summary=summary(5, "2026-11-21T02:00:00+0000"))
        with Session(engine) as session:
            runs = recent_runs(session=session, limit=5)
            assert [r.added for r in runs] == [5, 3]
            assert runs[0].failures == [{"source": "bad.pdf", "reason": "could not read PDF"}]
        downgrade(url, "0001")
        tables = set(inspect(engine).get_table_names())
        assert "sb_ingest_runs" in tables
        assert not CONVERSATION_TABLES & tables
        downgrade(url, "base")
        assert "sb_ingest_runs" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
