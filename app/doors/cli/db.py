"""`supportbot runs` and `supportbot db upgrade`: the database's history and its schema.

Both migrate the database first (idempotent), so they work on a fresh installation.
"""

from __future__ import annotations

import argparse
from typing import Any

from app.doors.cli import common


def add_commands(sub: Any) -> None:
    runs = sub.add_parser("runs", help="recent ingest runs")
    runs.add_argument("-n", type=int, default=10)
    runs.set_defaults(func=cmd_runs)

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(func=cmd_db_upgrade)


def cmd_runs(args: argparse.Namespace) -> int:
    from sqlalchemy.orm import Session

    from app.db.engine import make_engine, upgrade
    from app.db.ingest_runs import recent_runs

    settings = common.settings()
    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            runs = recent_runs(session=session, limit=args.n)
            for run in runs:
                print(
                    f"{run.started_at:%Y-%m-%d %H:%M} {run.duration_s:7.1f}s  +{run.added} "
                    f"~{run.updated} ={run.unchanged} -{run.deleted} !{run.failed}  "
                    f"{run.passages_total} passages"
                )
    finally:
        engine.dispose()
    if not runs:
        print("no ingest runs yet")
    return 0


def cmd_db_upgrade(_args: argparse.Namespace) -> int:
    from app.db.engine import upgrade

    settings = common.settings()
    upgrade(settings.resolved_database_url)
    print(f"database at head: {settings.resolved_database_url.split('@')[-1]}")
    return 0
