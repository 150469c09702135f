"""Business hours: a workspace's weekly opening spans in its time zone, and the seconds of
an interval that fall inside them.

The spans are local wall-clock times ("09:00" to "17:30", "24:00" closing at midnight),
turned into instants day by day through the zone's rules, so a day on which the clocks
change has as many business seconds as really passed (an hour more or less).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from wazify.lib.errors import Invalid

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$|^24:00$")
Spans = dict[str, list[list[str]]]


@dataclass(frozen=True)
class BusinessHours:
    zone: ZoneInfo
    # Per weekday (Monday 0), the day's spans as offsets from local midnight.
    week: tuple[tuple[tuple[timedelta, timedelta], ...], ...]

    def seconds_between(self, start: datetime, end: datetime) -> float:
        """Seconds of [start, end) inside business hours."""
        if end <= start:
            return 0.0
        total = 0.0
        day = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date()
        while day <= last:
            for opens, closes in self.week[day.weekday()]:
                low = max(start, _instant(day, opens, self.zone))
                high = min(end, _instant(day, closes, self.zone))
                if high > low:
                    total += (high - low).total_seconds()
            day += timedelta(days=1)
        return total


def _instant(day: date, offset: timedelta, zone: ZoneInfo) -> datetime:
    # Aware arithmetic within one zone is wall-clock arithmetic: 09:00 on the day, with
    # that wall time's offset. In UTC, since subtracting two times of the same zone is
    # wall-clock arithmetic too (it would count 24 hours on a 23-hour day).
    return (datetime.combine(day, time(), zone) + offset).astimezone(UTC)


def check_zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise Invalid(f"unknown time zone {name!r} (use an IANA name)", field="timezone") from None


def _clock(text: str) -> timedelta:
    if not isinstance(text, str) or not _CLOCK.match(text):
        raise Invalid(f"{text!r} is not a time HH:MM", field="business_hours")
    hours, minutes = (int(part) for part in text.split(":"))
    return timedelta(hours=hours, minutes=minutes)


def check_spans(spans: Spans) -> tuple[tuple[tuple[timedelta, timedelta], ...], ...]:
    """The week's spans, refused (400 naming business_hours) unless each day is a list of
    [opens, closes] pairs, in order, not overlapping."""
    unknown = sorted(set(spans) - set(DAYS))
    if unknown:
        raise Invalid(f"unknown day {unknown[0]!r}: use {', '.join(DAYS)}", field="business_hours")
    week = []
    for name in DAYS:
        pairs = []
        for pair in spans.get(name, []):
            if not isinstance(pair, list) or len(pair) != 2:
                raise Invalid(f"{name}: each span is [opens, closes]", field="business_hours")
            opens, closes = _clock(pair[0]), _clock(pair[1])
            if closes <= opens or (pairs and opens < pairs[-1][1]):
                raise Invalid(f"{name}: spans must be in order", field="business_hours")
            pairs.append((opens, closes))
        week.append(tuple(pairs))
    return tuple(week)


def business_hours(timezone: str, spans: Spans) -> BusinessHours:
    return BusinessHours(check_zone(timezone), check_spans(spans))
