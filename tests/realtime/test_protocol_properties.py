"""Properties of the websocket client frames (server/realtime/protocol.py), with Hypothesis.

Any text or bytes, and above all frames of the right types with fields of any JSON value:
decoding gives a client frame or a BadFrame (answered with an error frame), never another
exception; and what decodes can travel: its ids fit Postgres bigint, and the signals built
from it encode for the other processes (msgpack has no integers past 64 bits).
"""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.meta.test_payload_properties import json_values
from wazify.realtime.presence import PresenceReport
from wazify.realtime.protocol import (
    BadFrame,
    ClientPing,
    ClientPresence,
    ClientTyping,
    ClientViewing,
    decode_client_frame,
)
from wazify.realtime.service import PresenceSignal, TypingSignal

PROPERTY = settings(max_examples=300, deadline=None)
MAX_BIGINT = 2**63 - 1
TYPES = ["typing", "viewing", "presence", "ping", "pong", "dance", "", None, 7]
FIELDS = ["type", "conversation_id", "state", "extra"]


@st.composite
def frames(draw: st.DrawFn) -> str:
    """A JSON object with a `type` (known or not) and fields of any value, keys in any
    order (the tag may come after nested values)."""
    fields: dict[str, Any] = {"type": draw(st.sampled_from(TYPES))}
    for name in draw(st.lists(st.sampled_from(FIELDS[1:]), unique=True, max_size=3)):
        fields[name] = draw(json_values | st.integers())
    items = draw(st.permutations(list(fields.items())))
    return msgspec.json.encode(dict(items)).decode()


def check_clean(data: str | bytes) -> None:
    try:
        frame = decode_client_frame(data)
    except BadFrame as error:
        assert str(error)
        return
    if isinstance(frame, ClientTyping | ClientViewing) and frame.conversation_id is not None:
        assert 1 <= frame.conversation_id <= MAX_BIGINT
        msgspec.msgpack.encode(TypingSignal(1, frame.conversation_id, 1, "a"))
        report = PresenceReport("p", 1, 1, "online", (frame.conversation_id,))
        msgspec.msgpack.encode(PresenceSignal(report))
    assert isinstance(frame, ClientTyping | ClientViewing | ClientPresence | ClientPing)


@PROPERTY
@given(frames())
def test_a_frame_of_any_shape_decodes_or_is_refused_cleanly(data: str) -> None:
    check_clean(data)


@PROPERTY
@given(st.text(max_size=100) | st.binary(max_size=100))
def test_any_text_or_bytes_decode_or_are_refused_cleanly(data: str | bytes) -> None:
    check_clean(data)


def test_ids_at_the_edges() -> None:
    for frame in (
        {"type": "viewing", "conversation_id": 2**70},
        {"type": "typing", "conversation_id": 2**63},
        {"type": "typing", "conversation_id": 0},
        {"conversation_id": [[[[[]]]]] * 2, "type": "typing"},
    ):
        check_clean(msgspec.json.encode(frame))
    deep = '{"conversation_id": ' + "[" * 5000 + "]" * 5000 + ', "type": "typing"}'
    check_clean(deep)
    assert decode_client_frame('{"type": "typing", "conversation_id": 9223372036854775807}')
