"""Properties of the Meta payload parser (payloads.py + normalize.py), with Hypothesis.

Any bytes, any JSON, and above all real deliveries with parts replaced by anything JSON
can hold: decoding gives a body or a MalformedWebhook (a clean refusal, which quarantines
the receipt), never another exception; a body always classifies and normalises; and what
comes out can be stored: no NUL in any string, counts within Postgres integer, times in
range. (A RecursionError or a DataError instead would fail a whole batch of receipts.)
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.support.json_tree import places, replaced
from wazify.fakemeta.webhooks import ALL_CASES, encode_body
from wazify.meta.events import MessageEdited
from wazify.meta.normalize import classify_body, normalize
from wazify.meta.payloads import MalformedWebhook, decode_webhook

PROPERTY = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
MAX_INTEGER = 2**31 - 1  # Postgres integer (messages.edit_count)

# Values JSON can hold, with the edges that broke things: huge integers, NUL, deep nests.
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(["\x00", "a\x00b", "1796030100000", "-1", "1e309", "\ud7ff", "", "0"]),
)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.text(max_size=12), children, max_size=4),
    ),
    max_leaves=20,
)


@st.composite
def mutated_deliveries(draw: st.DrawFn) -> bytes:
    """A real delivery (every case of PLATFORM.md section 12) with a few parts replaced."""
    data: Any = ALL_CASES[draw(st.sampled_from(sorted(ALL_CASES)))]()
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        path = draw(st.sampled_from(places(data)))
        data = replaced(data, path, draw(json_values))
    return encode_body(data) if isinstance(data, dict) else msgspec.json.encode(data)


def check_clean(raw: bytes) -> None:
    try:
        body = decode_webhook(raw)
    except MalformedWebhook:
        return
    classify_body(body)
    for item in normalize(body):
        assert isinstance(item.timestamp, datetime) and item.timestamp.tzinfo is not None
        if isinstance(item, MessageEdited):
            assert 0 <= item.num_edit <= MAX_INTEGER
        encoded = msgspec.json.encode(item)
        assert b"\\u0000" not in encoded, encoded  # Postgres text and jsonb refuse it


@PROPERTY
@given(mutated_deliveries())
def test_a_mutated_delivery_is_parsed_or_refused_cleanly(raw: bytes) -> None:
    check_clean(raw)


@PROPERTY
@given(json_values)
def test_any_json_is_parsed_or_refused_cleanly(value: Any) -> None:
    check_clean(msgspec.json.encode(value))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_parsed_or_refused_cleanly(raw: bytes) -> None:
    check_clean(raw)


def test_deep_nesting_is_a_clean_refusal() -> None:
    for raw in (b"[" * 100_000, b'{"object": "instagram", "entry": ' + b"[" * 5000 + b"]" * 5000):
        try:
            decode_webhook(raw + b"}")
        except MalformedWebhook:
            continue
        raise AssertionError("accepted")


def test_an_edit_count_postgres_cannot_hold_is_no_count() -> None:
    """messages.edit_count is an integer: a count past it (or below 0) would fail the
    batch; such a count is unusable, like a non-numeric one (then a changed text is an
    edit)."""
    for count in (2**31, 2**70, -1, "99999999999999999999", "1" * 5000):
        data = ALL_CASES["message_edit"]()
        data["entry"][0]["messaging"][0]["message_edit"]["num_edit"] = count
        [item] = normalize(decode_webhook(encode_body(data)))
        assert isinstance(item, MessageEdited) and item.num_edit == 0, count
        check_clean(encode_body(data))
