"""Opening hours: when people answer the queue, and when they next will.

Written in settings as day ranges and times, in one IANA time zone:
"mon-fri 09:00-17:00, sat 10:00-14:00". An empty text means always open (the default, so a
team that never set hours is never told it is closed). A span may not cross midnight: a night
shift is written as two spans ("mon-fri 22:00-24:00, tue-sat 00:00-06:00").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_SPAN = re.compile(
    r"^(?P<days>[a-z]{3}(?:\s*-\s*[a-z]{3})?(?:\s*&\s*[a-z]{3}(?:\s*-\s*[a-z]{3})?)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})$"
)
_MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True)
class Span:
    """Open on `day` (0 = Monday) from `start` to `end`, minutes after local midnight."""

    day: int
    start: int
    end: int


@dataclass(frozen=True)
class OpeningHours:
    spans: tuple[Span, ...]  # empty: always open
    zone: ZoneInfo
    text: str

    @property
    def always_open(self) -> bool:
        return not self.spans

    def is_open(self, now: datetime) -> bool:
        if self.always_open:
            return True
        local = now.astimezone(self.zone)
        minute = local.hour * 60 + local.minute
        return any(s.day == local.weekday() and s.start <= minute < s.end for s in self.spans)

    def next_opening(self, now: datetime) -> datetime:
        """When the next span starts after `now` (`now` itself when open)."""
        if self.is_open(now):
            return now
        local = now.astimezone(self.zone)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        minute = local.hour * 60 + local.minute
        for ahead in range(8):  # within a week, every span recurs
            day = (local.weekday() + ahead) % 7
            starts = sorted(
                s.start for s in self.spans if s.day == day and (ahead or s.start > minute)
            )
            if starts:
                # Wall-clock arithmetic: build the local time, then let the zone decide
                # its offset (a daylight-saving change between now and then is honoured).
                date = (midnight + timedelta(days=ahead)).date()
                wall = datetime.combine(date, _as_time(starts[0]))
                return wall.replace(tzinfo=self.zone)
        raise AssertionError("opening hours with spans always open within a week")


def parse_opening_hours(text: str, zone: str = "UTC") -> OpeningHours:
    """Parse the settings' opening hours; ValueError naming the part that is wrong."""
    try:
        tz = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {zone!r} (e.g. UTC, Europe/Berlin)") from None
    spans: list[Span] = []
    for part in (p.strip().lower() for p in text.split(",")):
        if not part:
            continue
        match = _SPAN.match(part)
        if match is None:
            raise ValueError(
                f"opening hours {part!r}: write days and times like 'mon-fri 09:00-17:00'"
            )
        start, end = _minutes(match["start"], part), _minutes(match["end"], part)
        if start >= end:
            raise ValueError(f"opening hours {part!r}: the end must come after the start")
        spans.extend(Span(day, start, end) for day in _days(match["days"], part))
    return OpeningHours(tuple(spans), tz, text.strip())


def _days(days: str, part: str) -> list[int]:
    chosen: list[int] = []
    for group in days.split("&"):
        ends = [d.strip() for d in group.split("-")]
        for name in ends:
            if name not in DAYS:
                raise ValueError(
                    f"opening hours {part!r}: {name!r} is not a day ({', '.join(DAYS)})"
                )
        first, last = DAYS.index(ends[0]), DAYS.index(ends[-1])
        chosen.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
    return chosen


def _minutes(clock: str, part: str) -> int:
    hours, minutes = (int(x) for x in clock.split(":"))
    total = hours * 60 + minutes
    if minutes > 59 or total > _MINUTES_PER_DAY:
        raise ValueError(f"opening hours {part!r}: {clock!r} is not a time of day")
    return total


def _as_time(minute: int) -> time:
    return time(minute // 60, minute % 60)


def describe_opening(moment: datetime, now: datetime, zone: ZoneInfo) -> str:
    """'today at 09:00', 'tomorrow at 09:00' or 'Monday at 09:00' (local time, zone named)."""
    local, today = moment.astimezone(zone), now.astimezone(zone).date()
    days = (local.date() - today).days
    when = {0: "today", 1: "tomorrow"}.get(days, local.strftime("%A"))
    return f"{when} at {local:%H:%M} ({zone.key})"
