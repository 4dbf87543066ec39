"""When the nightly ingest runs: the next run time across days, time zones and DST changes,
and a loop that runs one job at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from datetime import time as time_of_day
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from app.doors.schedule import NightlyLoop, next_run, parse_time_of_day
from app.ground.config import IngestSettings

BERLIN = ZoneInfo("Europe/Berlin")
TWO = time_of_day(2, 0)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def test_next_run_is_today_before_the_time_and_tomorrow_from_it() -> None:
    zone = ZoneInfo("UTC")
    assert next_run(utc(2026, 5, 4, 1, 59), TWO, zone) == utc(2026, 5, 4, 2, 0)
    assert next_run(utc(2026, 5, 4, 2, 0), TWO, zone) == utc(2026, 5, 5, 2, 0)
    assert next_run(utc(2026, 5, 4, 23, 0), TWO, zone) == utc(2026, 5, 5, 2, 0)
    assert next_run(utc(2026, 12, 31, 3, 0), TWO, zone) == utc(2027, 1, 1, 2, 0)


def test_next_run_is_wall_clock_time_in_the_configured_zone() -> None:
    # 02:00 in Berlin is 00:00 UTC in summer and 01:00 UTC in winter.
    assert next_run(utc(2026, 7, 1, 12, 0), TWO, BERLIN) == utc(2026, 7, 2, 0, 0)
    assert next_run(utc(2026, 1, 10, 0, 30), TWO, BERLIN) == utc(2026, 1, 10, 1, 0)
    # 23:30 UTC on 1 July is already 01:30 on 2 July in Berlin: the run is 30 minutes away.
    assert next_run(utc(2026, 7, 1, 23, 30), TWO, BERLIN) == utc(2026, 7, 2, 0, 0)


def test_a_skipped_wall_time_runs_an_hour_later_and_a_repeated_one_runs_once() -> None:
    at = time_of_day(2, 30)
    # 29 March 2026: Berlin jumps from 02:00 to 03:00; 02:30 does not exist that night.
    spring = next_run(utc(2026, 3, 28, 12, 0), at, BERLIN)
    assert spring == utc(2026, 3, 29, 1, 30)  # 03:30 CEST
    # 25 October 2026: 02:30 happens twice; the first is taken, and after it comes the next day.
    autumn = next_run(utc(2026, 10, 24, 12, 0), at, BERLIN)
    assert autumn == utc(2026, 10, 25, 0, 30)  # 02:30 CEST, the first one
    assert next_run(autumn + timedelta(minutes=5), at, BERLIN) == utc(2026, 10, 26, 1, 30)


def test_the_schedule_settings_are_checked() -> None:
    assert parse_time_of_day("02:00") == TWO
    assert IngestSettings().schedule_at == "02:00"
    for bad in ("2:00", "24:00", "02:60", "noon"):
        with pytest.raises(ValidationError):
            IngestSettings(schedule_at=bad)
    with pytest.raises(ValidationError, match="unknown time zone"):
        IngestSettings(schedule_timezone="Mars/Olympus")
    assert IngestSettings(schedule_timezone="America/New_York").schedule_timezone


class FakeClock:
    def __init__(self, start: datetime) -> None:
        self.now = start
        self.naps: list[float] = []

    def __call__(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.naps.append(seconds)
        self.now += timedelta(seconds=seconds)


def test_the_loop_runs_each_night_one_run_at_a_time(tmp_path: Path) -> None:
    clock = FakeClock(utc(2026, 5, 4, 12, 0))
    runs: list[tuple[datetime, datetime]] = []

    def job() -> None:  # a slow ingest: three hours
        started = clock.now
        clock.now += timedelta(hours=3)
        runs.append((started, clock.now))

    heartbeat = tmp_path / "state" / "heartbeat"
    loop = NightlyLoop(
        job, at=TWO, zone=ZoneInfo("UTC"), heartbeat=heartbeat, clock=clock, sleep=clock.sleep
    )
    loop.run(now=True, runs=3)
    starts = [start for start, _ in runs]
    assert starts == [utc(2026, 5, 4, 12, 0), utc(2026, 5, 5, 2, 0), utc(2026, 5, 6, 2, 0)]
    assert all(runs[i][1] <= runs[i + 1][0] for i in range(len(runs) - 1))
    assert heartbeat.exists()
    assert max(clock.naps) <= 30  # wakes often: the heartbeat stays fresh, the clock re-read
