"""Opening hours as operators write them in settings, and when the team opens next."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.ground.config import HandoffSettings
from app.ground.hours import describe_opening, parse_opening_hours

# 2026-12-05 is a Saturday.
SATURDAY_NOON = datetime(2026, 12, 5, 12, 0, tzinfo=UTC)


def test_weekday_hours_are_open_inside_and_closed_outside() -> None:
    hours = parse_opening_hours("mon-fri 09:00-17:00, sat 10:00-12:00")
    assert hours.is_open(datetime(2026, 12, 7, 9, 0, tzinfo=UTC))  # Monday, opening minute
    assert not hours.is_open(datetime(2026, 12, 7, 17, 0, tzinfo=UTC))  # closing minute
    assert hours.is_open(datetime(2026, 12, 5, 11, 59, tzinfo=UTC))
    assert not hours.is_open(SATURDAY_NOON)
    assert not hours.is_open(datetime(2026, 12, 6, 10, 0, tzinfo=UTC))  # Sunday


def test_the_next_opening_skips_the_weekend_and_is_said_in_the_teams_zone() -> None:
    hours = parse_opening_hours("mon-fri 09:00-17:00", "Europe/Berlin")
    opening = hours.next_opening(SATURDAY_NOON)
    assert opening == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 09:00 in Berlin, winter
    assert describe_opening(opening, SATURDAY_NOON, hours.zone) == (
        "Monday at 09:00 (Europe/Berlin)"
    )
    friday_evening = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)
    assert describe_opening(hours.next_opening(friday_evening), friday_evening, hours.zone) == (
        "Monday at 09:00 (Europe/Berlin)"
    )
    early = datetime(2026, 12, 8, 6, 0, tzinfo=UTC)  # Tuesday 07:00 in Berlin
    assert describe_opening(hours.next_opening(early), early, hours.zone) == (
        "today at 09:00 (Europe/Berlin)"
    )


def test_no_hours_means_always_open() -> None:
    hours = parse_opening_hours("")
    assert hours.always_open and hours.is_open(SATURDAY_NOON)
    assert hours.next_opening(SATURDAY_NOON) == SATURDAY_NOON


def test_wrapping_day_ranges_and_lists() -> None:
    hours = parse_opening_hours("fri-mon 10:00-11:00 , wed & thu 20:00-24:00")
    days = sorted({span.day for span in hours.spans})
    assert days == [0, 2, 3, 4, 5, 6]  # Friday to Monday wraps over the weekend
    assert hours.is_open(datetime(2026, 12, 10, 23, 59, tzinfo=UTC))  # Thursday night


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("weekdays 09:00-17:00", "'weekdays 09:00-17:00'"),
        ("mon-fri 17:00-09:00", "the end must come after the start"),
        ("mon-fry 09:00-17:00", "'fry' is not a day"),
        ("mon 09:75-10:00", "'09:75' is not a time of day"),
    ],
)
def test_a_wrong_setting_is_refused_at_start_naming_the_part(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=named.replace("(", r"\(")):
        HandoffSettings(opening_hours=text)
    with pytest.raises(ValueError, match="unknown time zone 'Mars/Olympus'"):
        HandoffSettings(opening_hours="mon 09:00-10:00", timezone="Mars/Olympus")
