"""Meta timestamps: milliseconds, seconds or numeric strings, depending on the sender.

Messaging events and `entry.time` are milliseconds, generic Graph webhooks use seconds and
the App Dashboard "Test" button sends a string (PLATFORM.md section 4.1).
"""

import math
from datetime import UTC, datetime, timedelta

# 1e11 seconds is the year 5138 while 1e11 milliseconds is 1973: every plausible value
# falls clearly on one side, so the magnitude tells the unit.
MILLISECONDS_THRESHOLD = 100_000_000_000

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_datetime(value: int | float | str) -> datetime:
    """Convert a Meta timestamp to an aware UTC datetime.

    Raises ValueError for anything that is not a finite, non-negative number or numeric
    string (bool is rejected although it is an int subclass).
    """
    number = _to_number(value)
    try:
        if number > MILLISECONDS_THRESHOLD:
            return _EPOCH + timedelta(milliseconds=number)
        return _EPOCH + timedelta(seconds=number)
    except OverflowError as exc:
        raise ValueError(f"timestamp out of range: {value!r}") from exc


def epoch_milliseconds(moment: datetime) -> int:
    """Whole milliseconds since the epoch, computed exactly (no float round trip)."""
    return (moment - _EPOCH) // timedelta(milliseconds=1)


def _to_number(value: object) -> int | float:
    if isinstance(value, bool):
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(value, str):
        number = _parse_numeric_string(value)
    elif isinstance(value, int | float):
        number = value
    else:
        raise ValueError(f"not a timestamp: {value!r}")
    if isinstance(number, float) and not math.isfinite(number):
        raise ValueError(f"not a finite timestamp: {value!r}")
    if number < 0:
        raise ValueError(f"negative timestamp: {value!r}")
    return number


def _parse_numeric_string(value: str) -> int | float:
    text = value.strip()
    try:
        # int() first so that large millisecond values keep full precision.
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"not a numeric timestamp: {value!r}") from None
