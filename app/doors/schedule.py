"""The nightly ingest's clock: when the next run is due, and the loop that waits for it.

`supportbot schedule-ingest` (the `ingest` service of docker-compose.yml) runs this loop. A run
is a child `supportbot ingest` process that the loop waits for, so the schedule never overlaps
itself; the ingest's own lock (app/doors/ingest_lock.py) keeps a manual run from overlapping
it too.
The loop wakes at least every `beat_s` seconds to touch a heartbeat file (the container's
health check) and to re-read the clock, so a suspended host or a changed clock cannot make it
sleep past a run.
"""

from __future__ import annotations

import logging
import subprocess
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)


def parse_time_of_day(text: str) -> time_of_day:
    """ "02:00" -> 02:00 (24-hour HH:MM)."""
    hours, minutes = text.split(":")
    return time_of_day(int(hours), int(minutes))


def next_run(after: datetime, at: time_of_day, zone: ZoneInfo) -> datetime:
    """The first moment (in UTC) strictly after `after` when the wall clock in `zone` shows
    `at`. A wall time skipped by a daylight-saving change (02:30 on a spring-forward night)
    runs an hour later; a wall time that occurs twice runs at the first.
    """
    day = after.astimezone(zone).date()
    while True:
        # In UTC: a skipped wall time becomes the real moment it stands for, and comparisons
        # are plain (Python never finds an ambiguous local time equal to a time elsewhere).
        candidate = datetime.combine(day, at, tzinfo=zone).astimezone(UTC)
        if candidate > after:
            return candidate
        day += timedelta(days=1)


def run_child(command: Sequence[str], *, heartbeat: Path, beat_s: float) -> tuple[int, str, str]:
    """Run `command` to its end, touching `heartbeat` meanwhile: exit code, stdout, stderr."""
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while True:
        try:
            out, err = child.communicate(timeout=beat_s)
        except subprocess.TimeoutExpired:  # retrying communicate() loses no output
            heartbeat.touch()
            continue
        return child.returncode, out or "", err or ""


class NightlyLoop:
    """Runs `job` every day at `at` in `zone`, one run at a time, forever (or `runs` times)."""

    def __init__(
        self,
        job: Callable[[], None],
        *,
        at: time_of_day,
        zone: ZoneInfo,
        heartbeat: Path,
        beat_s: float = 30.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._job, self._at, self._zone = job, at, zone
        self._heartbeat, self._beat_s = heartbeat, beat_s
        self._clock, self._sleep = clock, sleep

    def run(self, *, now: bool = False, runs: int | None = None) -> None:
        """Wait for each run time and run the job; `now` runs it once at start as well."""
        self._heartbeat.parent.mkdir(parents=True, exist_ok=True)
        self._heartbeat.touch()
        done = 0
        if now:
            self._job()
            done += 1
        while runs is None or done < runs:
            due = next_run(self._clock(), self._at, self._zone)
            local = due.astimezone(self._zone).isoformat()
            log.info("next ingest at %s", local, extra={"next_run": due.isoformat()})
            while (left := (due - self._clock()).total_seconds()) > 0:
                self._sleep(min(left, self._beat_s))
                self._heartbeat.touch()
            self._job()
            done += 1
