"""SQL expressions Piccolo's query builder has no name for, written once for every domain.

A value of an insert or update (or a where operand) may be a QueryString: Piccolo inlines it
with its parameters kept apart. Times the schema compares with the database's clock
(sessions' expiry, invitations', throttle windows) are taken from that clock, as before
Piccolo: `db_now()` rather than Python's now, so a skew between the two changes nothing.
"""

from __future__ import annotations

from datetime import timedelta

from piccolo.columns import Column
from piccolo.querystring import QueryString


def db_now() -> QueryString:
    """The transaction's now(), the default of every created_at."""
    return QueryString("now()")


def db_now_plus(interval: timedelta) -> QueryString:
    """now() + `interval` (negative: a moment that far back)."""
    return QueryString("now() + {}::interval", interval)


def coalesce_now(column: Column) -> QueryString:
    """The column's value, or now() when it is null: set once, kept after."""
    return QueryString(f'coalesce("{column._meta.db_column_name}", now())')


def nulls_first(column: Column) -> QueryString:
    """An order_by item putting the column's nulls first: Piccolo appends ASC to every item,
    so `NULLS FIRST` cannot follow one; ordering by `column IS NOT NULL` (false first),
    then by the column, is the same order."""
    return QueryString(f'("{column._meta.db_column_name}" IS NOT NULL)')


def seconds_since(moment: Column | QueryString) -> QueryString:
    """Seconds from `moment` (a column, or an aggregate such as Min(column)) to the
    database's clock_timestamp(): the age of a row on the clock that stamped it, taken when
    the statement runs (a scrape may follow a long transaction's now())."""
    if isinstance(moment, Column):
        moment = QueryString(moment._meta.get_full_name(with_alias=False))
    return QueryString("extract(epoch FROM clock_timestamp() - {})", moment)


def db_now_plus_backoff(attempts: Column, first: timedelta, cap: timedelta) -> QueryString:
    """now() plus `first` doubled for each attempt after the first, `cap` at most: an
    update's value, reckoned from the row's own attempts column."""
    name = attempts._meta.db_column_name
    return QueryString(
        f'now() + least({{}}::interval, {{}}::interval * 2 ^ ("{name}" - 1))', cap, first
    )
