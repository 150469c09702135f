"""Figures from facts: counts, medians and 90th percentiles, grouped; pure.

Percentiles interpolate linearly between the two nearest values (Postgres'
percentile_cont, numpy's default): the median of 100 s and 200 s is 150 s. Durations are
wall-clock seconds, or with business hours the seconds of the interval inside them.
Groups and histograms are built from the same facts, so every figure adds up.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from wazify.reports.hours import BusinessHours
from wazify.reports.schemas import FigureRow, HistogramBin, TimeFigure

GROUPINGS = ("none", "member", "account", "label", "day", "hour")
# Reply-time histogram bounds, in seconds: 1, 5, 15, 30 minutes, 1, 4, 8, 24 hours.
HISTOGRAM_BOUNDS = (60, 300, 900, 1800, 3600, 14400, 28800, 86400)
# Fact kind -> the row's count it adds to.
COUNTED = {
    "opened": "opened",
    "reopened": "reopened",
    "resolved": "resolved",
    "message_in": "messages_in",
    "message_out": "messages_out",
}


@dataclass(frozen=True)
class FactRow:
    conversation_id: int
    account_id: int
    kind: str
    started_at: datetime | None
    at: datetime
    member_id: int | None
    first: int
    count: int


@dataclass
class Context:
    zone: ZoneInfo
    hours: BusinessHours | None
    labels: dict[int, list[int]]  # conversation id -> label ids
    names: dict[str, dict[int, str]]  # "member" | "account" | "label" -> id -> name


def percentile(ordered: list[float], fraction: float) -> float:
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def time_figure(values: list[float]) -> TimeFigure:
    if not values:
        return TimeFigure()
    ordered = sorted(values)
    return TimeFigure(
        count=len(ordered),
        median=round(percentile(ordered, 0.5), 3),
        p90=round(percentile(ordered, 0.9), 3),
        mean=round(sum(ordered) / len(ordered), 3),
    )


def duration(fact: FactRow, hours: BusinessHours | None) -> float | None:
    if fact.started_at is None:
        return None
    if hours is not None:
        return hours.seconds_between(fact.started_at, fact.at)
    return (fact.at - fact.started_at).total_seconds()


def figure_row(key: str, name: str, facts: Iterable[FactRow], context: Context) -> FigureRow:
    row = FigureRow(key=key, name=name)
    times: dict[str, list[float]] = defaultdict(list)
    for fact in facts:
        if fact.kind in COUNTED:
            field = COUNTED[fact.kind]
            setattr(row, field, getattr(row, field) + fact.count)
        seconds = duration(fact, context.hours)
        if seconds is None:
            continue
        if fact.kind == "reply":
            times["reply"].append(seconds)
            if fact.first:
                times["first_response"].append(seconds)
        elif fact.kind == "resolved":
            times["resolution"].append(seconds)
    for name_, values in times.items():
        setattr(row, name_, time_figure(values))
    return row


def group_keys(fact: FactRow, group_by: str, context: Context) -> list[str]:
    if group_by == "member":
        return [str(fact.member_id) if fact.member_id is not None else "none"]
    if group_by == "account":
        return [str(fact.account_id)]
    if group_by == "label":
        return [str(label) for label in context.labels.get(fact.conversation_id, [])] or ["none"]
    local = fact.at.astimezone(context.zone)
    return [local.strftime("%Y-%m-%d" if group_by == "day" else "%Y-%m-%dT%H:00")]


def group_name(key: str, group_by: str, context: Context) -> str:
    if group_by in ("day", "hour"):
        return key
    if key == "none":
        return {"member": "(no member)", "label": "(no label)"}.get(group_by, "(none)")
    return context.names.get(group_by, {}).get(int(key), f"#{key}")


def grouped(facts: list[FactRow], group_by: str, context: Context) -> list[FigureRow]:
    if group_by == "none":
        return []
    buckets: dict[str, list[FactRow]] = defaultdict(list)
    for fact in facts:
        for key in group_keys(fact, group_by, context):
            buckets[key].append(fact)
    order: Callable[[str], tuple] = (
        (lambda key: (0, key))
        if group_by in ("day", "hour")
        else (lambda key: (key == "none", group_name(key, group_by, context).casefold(), key))
    )
    return [
        figure_row(key, group_name(key, group_by, context), buckets[key], context)
        for key in sorted(buckets, key=order)
    ]


def histogram(facts: list[FactRow], context: Context) -> list[HistogramBin]:
    counts = [0] * (len(HISTOGRAM_BOUNDS) + 1)
    for fact in facts:
        seconds = duration(fact, context.hours) if fact.kind == "reply" else None
        if seconds is not None:
            counts[sum(1 for bound in HISTOGRAM_BOUNDS if seconds >= bound)] += 1
    bounds: list[int | None] = [*HISTOGRAM_BOUNDS, None]
    return [HistogramBin(below=b, count=c) for b, c in zip(bounds, counts, strict=True)]


def heatmap(facts: list[FactRow], context: Context) -> list[list[int]]:
    """Customer messages by local weekday and hour (buckets of 15 minutes fall in one)."""
    grid = [[0] * 24 for _ in range(7)]
    for fact in facts:
        if fact.kind == "message_in":
            local = fact.at.astimezone(context.zone)
            grid[local.weekday()][local.hour] += fact.count
    return grid
