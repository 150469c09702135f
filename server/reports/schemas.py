"""The report's shape (GET /api/v1/reports) and the settings' body."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec

Zone = Annotated[str, msgspec.Meta(max_length=64)]
Clock = Annotated[str, msgspec.Meta(max_length=5)]


class TimeFigure(msgspec.Struct, kw_only=True):
    """Durations in seconds: how many, their median, 90th percentile and mean (None: none)."""

    count: int = 0
    median: float | None = None
    p90: float | None = None
    mean: float | None = None


class FigureRow(msgspec.Struct, kw_only=True):
    key: str
    name: str
    opened: int = 0
    reopened: int = 0
    resolved: int = 0
    messages_in: int = 0
    messages_out: int = 0
    first_response: TimeFigure = msgspec.field(default_factory=TimeFigure)
    reply: TimeFigure = msgspec.field(default_factory=TimeFigure)
    resolution: TimeFigure = msgspec.field(default_factory=TimeFigure)


class HistogramBin(msgspec.Struct, kw_only=True):
    """Replies that took less than `below` seconds (None: the rest), and more than the
    previous bin's bound."""

    below: int | None
    count: int


class Report(msgspec.Struct, kw_only=True, rename={"start": "from", "end": "to"}):
    start: datetime
    end: datetime
    timezone: str
    business_hours: bool
    group_by: str
    total: FigureRow
    groups: list[FigureRow]
    histogram: list[HistogramBin]
    # Customer messages by local weekday (Monday first) and hour: 7 rows of 24.
    heatmap: list[list[int]]


class ReportSettingsView(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """The time zone reports use (days, hours) and the weekly business hours, per day
    mon..sun a list of [opens, closes] local times "HH:MM" (None: no business hours)."""

    timezone: Zone = "UTC"
    business_hours: dict[str, list[list[Clock]]] | None = None
