"""The pure parts: business seconds (weekends, a night the clocks change), the facts a
history gives, percentiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from wazify.lib.errors import Invalid
from wazify.reports.derive import Fact, HistoryMessage, StatusChange, derive_facts
from wazify.reports.figures import percentile
from wazify.reports.hours import business_hours

WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_a_weekend_has_no_business_seconds() -> None:
    hours = business_hours("UTC", WEEKDAYS)
    # Friday 4 Dec 2026 16:00 -> Monday 7 Dec 10:00: 16:00-17:00 Friday, 09:00-10:00 Monday.
    assert hours.seconds_between(utc(2026, 12, 4, 16), utc(2026, 12, 7, 10)) == 7200
    assert hours.seconds_between(utc(2026, 12, 5, 9), utc(2026, 12, 6, 17)) == 0
    assert hours.seconds_between(utc(2026, 12, 7, 10), utc(2026, 12, 7, 9)) == 0


def test_the_day_the_clocks_go_forward_is_an_hour_shorter() -> None:
    hours = business_hours("Europe/Paris", {"sun": [["00:00", "24:00"]]})
    # Sunday 29 March 2026 in Paris: 00:00 is 23:00 UTC the day before, 24:00 is 22:00 UTC.
    assert hours.seconds_between(utc(2026, 3, 28, 12), utc(2026, 3, 30, 12)) == 23 * 3600
    # Two spans a day, an interval across midnight in a zone east of UTC.
    split = business_hours("Asia/Tokyo", {"mon": [["00:00", "01:00"], ["23:00", "24:00"]]})
    # Monday 7 Dec 2026 in Tokyo: 15:00-16:00 UTC on Sunday the 6th, 14:00-15:00 on Monday.
    assert split.seconds_between(utc(2026, 12, 6, 15, 30), utc(2026, 12, 7, 14, 15)) == 2700


def test_spans_must_be_in_order() -> None:
    with pytest.raises(Invalid):
        business_hours("UTC", {"mon": [["09:00", "12:00"], ["11:00", "13:00"]]})


T = utc(2026, 12, 1, 9)


def msg(id: int, direction: str, minutes: float, source: str = "", author: int | None = None):
    source = source or ("customer" if direction == "in" else "agent")
    return HistoryMessage(id, direction, "message", source, author, T + timedelta(minutes=minutes))


def test_the_facts_of_a_history() -> None:
    messages = [
        msg(1, "out", 0, author=7),  # the business wrote first: no reply, one message out
        msg(2, "in", 10),
        msg(3, "in", 12),
        msg(4, "out", 15, "instagram_app"),  # from the phone: a reply, no member
        msg(5, "out", 16, author=7),  # nobody waiting: not a reply
        msg(6, "in", 20),
        msg(7, "out", 21, "self_test"),  # Meta's review tool: no reply
    ]
    changes = [
        StatusChange(1, "open", "resolved", 7, T + timedelta(minutes=30)),
        StatusChange(2, "resolved", "pending", 7, T + timedelta(minutes=40)),
        StatusChange(3, "pending", "resolved", 8, T + timedelta(minutes=50)),
    ]
    facts = derive_facts(messages, changes)
    assert [f for f in facts if f.kind == "reply"] == [
        Fact("reply", T + timedelta(minutes=15), T + timedelta(minutes=10), None, 1)
    ]
    volume = {(f.kind, f.at, f.member_id): f.count for f in facts if f.kind.startswith("mess")}
    quarter = T + timedelta(minutes=15)
    assert volume == {
        ("message_in", T, None): 2,
        ("message_in", quarter, None): 1,
        ("message_out", T, 7): 1,
        ("message_out", quarter, None): 2,  # the phone's and the review tool's
        ("message_out", quarter, 7): 1,
    }
    others = [(f.kind, f.started_at, f.member_id) for f in facts if f.kind in ("opened",
        "reopened", "resolved")]  # fmt: skip
    assert others == [
        ("opened", None, None),
        ("reopened", None, 7),
        ("resolved", T, 7),  # opened at the first message (the business's)
        ("resolved", T + timedelta(minutes=40), 8),  # from the reopening
    ]
    assert derive_facts(list(reversed(messages)), list(reversed(changes))) == facts


def test_percentiles_interpolate() -> None:
    assert percentile([100.0, 200.0], 0.5) == 150.0
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0], 0.9) == 81.0
