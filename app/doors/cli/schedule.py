"""`supportbot schedule-ingest`: run `supportbot ingest` every day at a set time.

A long-running job (the `ingest` service of docker-compose.yml). Each run is a child
`python -m app.doors.cli ingest --json` process, so a crash or a leak in one run cannot
outlive it; the clock and the loop are app/doors/schedule.py.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from typing import Any

from app.doors.cli import common
from app.ground.errors import AppError


def add_commands(sub: Any) -> None:
    schedule = sub.add_parser(
        "schedule-ingest", help="run the ingest every day at a set time (a long-running job)"
    )
    schedule.add_argument("paths", nargs="*", help="files or folders (default: data/)")
    schedule.add_argument(
        "--at", help="local time of day, HH:MM (default: SUPPORTBOT_INGEST__SCHEDULE_AT, 02:00)"
    )
    schedule.add_argument("--now", action="store_true", help="also run once at start")
    schedule.set_defaults(func=cmd_schedule_ingest)


def cmd_schedule_ingest(args: argparse.Namespace) -> int:
    import logging
    from zoneinfo import ZoneInfo

    from app.doors.logs import configure_logging
    from app.doors.schedule import NightlyLoop, parse_time_of_day, run_child

    settings = common.settings()
    configure_logging(settings.log)
    log = logging.getLogger("app.doors.schedule")
    at = args.at or settings.ingest.schedule_at
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", at):
        raise AppError("usage", f"--at wants a time of day as HH:MM (24 h), not {at!r}")
    heartbeat = settings.home / "schedule-ingest.heartbeat"
    command = [sys.executable, "-m", "app.doors.cli", "ingest", "--json", *args.paths]

    def job() -> None:
        log.info("ingest starting")
        code, out, err = run_child(command, heartbeat=heartbeat, beat_s=30)
        summary = _last_json_line(out)
        if summary is None:  # it stopped before indexing: busy (another ingest), or broken
            log.error("ingest did not run", extra={"exit_code": code, "error": err[-2000:]})
        else:
            level = logging.INFO if code == 0 else logging.WARNING
            log.log(level, "ingest finished", extra={"exit_code": code, "summary": summary})

    zone = ZoneInfo(settings.ingest.schedule_timezone)
    log.info("scheduling the ingest daily at %s %s", at, zone.key, extra={"paths": args.paths})
    NightlyLoop(job, at=parse_time_of_day(at), zone=zone, heartbeat=heartbeat).run(now=args.now)
    return 0


def _last_json_line(out: str) -> dict[str, Any] | None:
    """The summary `ingest --json` prints last, if it got that far."""
    lines = out.strip().splitlines()
    try:
        found = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        return None
    return found if isinstance(found, dict) else None
