"""`supportbot ingest`: index the support sources, one run at a time, and keep its history.

The run holds the installation's ingest lock (app/doors/ingest_lock.py) for its whole length,
saves its report under SUPPORTBOT_HOME/reports and records its summary in the database, where
`supportbot runs` reads it back.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from app.doors.cli import common
from app.ground.config import Settings
from app.ground.errors import AppError


def add_commands(sub: Any) -> None:
    ingest = sub.add_parser("ingest", help="index support sources (incremental)")
    ingest.add_argument("paths", nargs="*", help="files or folders (default: data/)")
    ingest.add_argument("--json", action="store_true", help="print the summary as JSON last")
    ingest.add_argument(
        "--rebuild",
        action="store_true",
        help="index PATHs from scratch into a new index and switch to it when complete "
        "(re-embeds everything; drops what came from other folders)",
    )
    ingest.set_defaults(func=cmd_ingest)


def cmd_ingest(args: argparse.Namespace) -> int:
    from app.doors.ingest_lock import ingest_lock
    from ingest.pipeline import run_ingest

    settings = common.settings()
    paths = [Path(p) for p in args.paths] or [settings.data_dir]
    with ingest_lock(settings):  # a second concurrent ingest stops here ("busy", exit 2)
        report = run_ingest(
            paths,
            settings=settings,
            embedder_factory=lambda: common.embedder(settings),
            progress=common.progress_bar,
            rebuild=args.rebuild,
        )
        report.save(settings.reports_dir)
        _record_run(settings, report.summary())
        trained = _refresh_triage_models(settings)
    print(report.render())
    if trained:
        print(f"triage models retrained: {', '.join(trained)}")
    if args.json:
        common.print_json_last(report.summary())
    return report.exit_code


def _refresh_triage_models(settings: Settings) -> list[str]:
    """The nightly run also retrains the triage models whose examples changed (a new
    intents.toml, say); a taxonomy that cannot be trained is reported, the old model serves."""
    from app.doors.triage_models import refresh_models

    try:
        return refresh_models(settings, lambda: common.embedder(settings))
    except AppError as problem:
        print(f"triage models not retrained: {problem.message}", file=sys.stderr)
        return []


def _record_run(settings: Settings, summary: dict[str, Any]) -> None:
    """Keep the run in the database's history (migrating it first: idempotent, fast)."""
    from sqlalchemy.orm import Session

    from app.db.engine import make_engine, upgrade
    from app.db.ingest_runs import record_run

    upgrade(settings.resolved_database_url)
    engine = make_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session, session.begin():
            record_run(session=session, summary=summary)
    finally:
        engine.dispose()
