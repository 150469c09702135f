"""Tests for wazify.lib.inputs: the limits client input meets before the database."""

from datetime import UTC, datetime, timedelta, timezone

import msgspec
import pytest

from wazify.lib.errors import Invalid
from wazify.lib.inputs import (
    MAX_DB_ID,
    MAX_JSON_DEPTH,
    DbId,
    check_json_value,
    check_moment,
    parse_bounded_int,
    to_utc,
)


def refusal(value: object) -> tuple[str | None, str]:
    with pytest.raises(Invalid) as refused:
        check_json_value(value)
    return refused.value.field, refused.value.message


def test_a_nul_is_refused_naming_the_field_path() -> None:
    assert refusal({"text": "a\x00b"})[0] == "text"
    assert refusal({"attachments": [{"url": "ok"}, {"url": "x\x00"}]})[0] == "attachments[1].url"
    assert refusal([["fine", "\x00"]])[0] == "[0][1]"
    field, message = refusal({"quick_replies": [{"ti\x00tle": "x"}]})
    assert field == "quick_replies[0]"
    assert "key" in message
    assert refusal("\x00") == (
        None,
        "the body contains a NUL character (\\u0000), which cannot be stored",
    )


def test_depth_is_bounded_and_named() -> None:
    deep: object = "leaf"
    for _ in range(MAX_JSON_DEPTH):
        deep = [deep]
    check_json_value({"a": deep[0]})  # type: ignore[index]  exactly at the limit
    field, message = refusal({"a": deep})
    assert field == "a" + "[0]" * (MAX_JSON_DEPTH - 1)
    assert f"more than {MAX_JSON_DEPTH} levels" in message


def test_ordinary_bodies_pass() -> None:
    check_json_value(
        {"text": "héllo ❤️", "attachments": [{"type": "image", "url": "https://x"}], "n": 1}
    )
    check_json_value(None)


def test_db_id_bounds_bodies_and_frames() -> None:
    class Body(msgspec.Struct):
        id: DbId

    assert msgspec.json.decode(b'{"id": 9223372036854775807}', type=Body).id == MAX_DB_ID
    for bad in (b"0", b"-1", b"9223372036854775808", str(2**70).encode()):
        with pytest.raises(msgspec.ValidationError, match=r"\$\.id"):
            msgspec.json.decode(b'{"id": ' + bad + b"}", type=Body)


def test_parse_bounded_int_takes_ascii_digits_in_range_only() -> None:
    assert parse_bounded_int("42") == 42
    assert parse_bounded_int("0", low=0) == 0
    assert parse_bounded_int(str(MAX_DB_ID)) == MAX_DB_ID
    for text in ("0", "-1", str(MAX_DB_ID + 1), str(2**70), "²", "٣", "1" * 5000, "", " 1"):
        assert parse_bounded_int(text) is None, text


def test_times_that_leave_the_calendar_in_utc_are_refused() -> None:
    plus14 = timezone(timedelta(hours=14))
    assert to_utc(datetime(2026, 1, 1, 14, tzinfo=plus14)) == datetime(2026, 1, 1, tzinfo=UTC)
    assert to_utc(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)  # naive is UTC
    with pytest.raises(Invalid) as refused:
        check_moment(datetime(1, 1, 1, tzinfo=plus14), "since")
    assert refused.value.field == "since"
    with pytest.raises(Invalid):
        check_moment(datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-14))), "until")
