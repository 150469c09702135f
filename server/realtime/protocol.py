"""The websocket protocol's own frames (logged events travel as stored; see events.py).

Documented for client authors in docs/realtime.md. Server frames are JSON text; client
frames are JSON text with a `type`. Unknown or malformed client frames get an `error` frame
and never end the connection. Ids in client frames are row ids (`DbId`): an id beyond
bigint would otherwise pass decoding and break what other members' sockets rely on (the
presence flush and the typing signal are msgpack, which has no integers past 64 bits).
"""

from __future__ import annotations

from typing import Literal

import msgspec

from wazify.lib.inputs import DbId

# Close codes (4000-4999 are the application's).
CLOSE_RESYNC = 4000  # the cursor is older than the retention or unknown: reload the snapshot
CLOSE_UNAUTHORIZED = 4001  # the session ended, the token was revoked or the member deactivated
CLOSE_SLOW_CONSUMER = 4008  # the bounded queue overflowed: reconnect with your last seq
CLOSE_GOING_AWAY = 1001  # the server is shutting down: reconnect with your last seq
CLOSE_TRY_AGAIN = 1013  # the database is unavailable: reconnect with your last seq, with backoff


class Frame(msgspec.Struct, tag_field="type", kw_only=True):
    pass


class Ready(Frame, tag="ready"):
    """Replay is complete; everything after `seq` arrives live."""

    seq: int


class Heartbeat(Frame, tag="heartbeat"):
    """The highest seq the server has considered for this connection (visible or not)."""

    watermark: int


class Resync(Frame, tag="resync"):
    reason: Literal["expired", "unknown"]
    message: str


class Error(Frame, tag="error"):
    code: str
    message: str


class Typing(Frame, tag="typing"):
    conversation_id: int
    user_id: int
    name: str


class PresenceChanged(Frame, tag="presence"):
    user_id: int
    state: Literal["online", "away", "offline"]


class Viewing(Frame, tag="viewing"):
    """Who has a conversation open, across every server process."""

    conversation_id: int
    user_ids: list[int]


class Pong(Frame, tag="pong"):
    pass


# Client frames
class ClientTyping(Frame, tag="typing", forbid_unknown_fields=True):
    conversation_id: DbId


class ClientViewing(Frame, tag="viewing", forbid_unknown_fields=True):
    conversation_id: DbId | None


class ClientPresence(Frame, tag="presence", forbid_unknown_fields=True):
    state: Literal["online", "away"]


class ClientPing(Frame, tag="ping", forbid_unknown_fields=True):
    pass


ClientFrame = ClientTyping | ClientViewing | ClientPresence | ClientPing

encode_frame = msgspec.json.Encoder().encode
_client_decoder = msgspec.json.Decoder(ClientFrame)


class BadFrame(ValueError):
    """A client frame the protocol refuses; the message names the problem."""


def decode_client_frame(data: str | bytes) -> ClientFrame:
    """Raises BadFrame with a message naming the problem."""
    try:
        return _client_decoder.decode(data)
    except msgspec.DecodeError as error:  # ValidationError included
        raise BadFrame(str(error)) from None
    except RecursionError:
        # Nesting ahead of the `type` tag, which msgspec must skip over before it can
        # choose the frame's type: thousands deep exhaust the C stack guard.
        raise BadFrame("the frame is nested too deeply") from None
