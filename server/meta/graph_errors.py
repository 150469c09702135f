"""Graph API errors: parsing Meta's error JSON and classifying it (PLATFORM.md section 6.4)."""

from typing import Any

import msgspec

THROTTLING_CODES = frozenset({4, 17, 32, 613, 80002})
TOKEN_DEAD_CODE = 190
WINDOW_CLOSED_CODE = 10
WINDOW_CLOSED_SUBCODES = frozenset({2534022, 2018278})
USER_UNAVAILABLE_CODE = 551
CONSENT_REQUIRED_CODE = 230
PERMISSION_CODES = range(200, 300)
# "Unknown error" and "service temporarily unavailable": retry with backoff.
TEMPORARY_CODES = frozenset({1, 2})


class GraphError(Exception):
    """An error answer from the Graph API, or a response that could not be understood.

    `code` is None when the body was not Meta's error JSON (a proxy page, an empty body).
    """

    def __init__(
        self,
        message: str,
        *,
        code: int | None = None,
        subcode: int | None = None,
        type: str | None = None,
        is_transient: bool = False,
        http_status: int = 0,
        fbtrace_id: str | None = None,
        user_title: str | None = None,
        user_message: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.type = type
        self.is_transient = is_transient
        self.http_status = http_status
        self.fbtrace_id = fbtrace_id
        self.user_title = user_title
        self.user_message = user_message

    def __str__(self) -> str:
        code = "?" if self.code is None else str(self.code)
        if self.subcode is not None:
            code = f"{code}/{self.subcode}"
        return f"Graph API error {code} (HTTP {self.http_status}): {self.message}"

    def __repr__(self) -> str:
        return (
            f"GraphError(code={self.code!r}, subcode={self.subcode!r}, type={self.type!r}, "
            f"http_status={self.http_status!r}, message={self.message!r})"
        )


class _ErrorDetail(msgspec.Struct):
    message: str = ""
    type: str | None = None
    # Numbers in practice; strings tolerated so a quirk never hides the real error.
    code: int | str | None = None
    error_subcode: int | str | None = None
    is_transient: bool | None = None
    error_user_title: str | None = None
    error_user_msg: str | None = None
    fbtrace_id: str | None = None


class _ErrorBody(msgspec.Struct):
    error: _ErrorDetail


def parse_graph_error(status: int, body: bytes) -> GraphError:
    """Build a GraphError from an HTTP status and response body; never raises."""
    try:
        detail = msgspec.json.decode(body, type=_ErrorBody).error
    except msgspec.DecodeError:
        return _unparsed_error(status, body)
    code = _to_int(detail.code)
    return GraphError(
        detail.message or f"HTTP {status}",
        code=code,
        subcode=_to_int(detail.error_subcode),
        type=detail.type,
        is_transient=_transient(detail.is_transient, code, status),
        http_status=status,
        fbtrace_id=detail.fbtrace_id,
        user_title=detail.error_user_title,
        user_message=detail.error_user_msg,
    )


def is_throttling(error: GraphError) -> bool:
    return error.code in THROTTLING_CODES


def is_token_dead(error: GraphError) -> bool:
    """The token is expired, revoked or invalid: the account must be reconnected."""
    return error.code == TOKEN_DEAD_CODE


def is_window_closed(error: GraphError) -> bool:
    """Sent outside the messaging window (24 h, or 7 days with HUMAN_AGENT)."""
    return error.code == WINDOW_CLOSED_CODE and error.subcode in WINDOW_CLOSED_SUBCODES


def is_user_unavailable(error: GraphError) -> bool:
    """The person cannot receive messages right now: do not retry."""
    return error.code == USER_UNAVAILABLE_CODE


def is_permission(error: GraphError) -> bool:
    """Codes 200-299. Note that consent-required (230) is one of them."""
    return error.code is not None and error.code in PERMISSION_CODES


def is_consent_required(error: GraphError) -> bool:
    """Profile read for someone who never messaged the business (section 8.2): expected."""
    return error.code == CONSENT_REQUIRED_CODE


def _transient(flag: bool | None, code: int | None, status: int) -> bool:
    # Meta's own flag wins; otherwise judge by the documented retry-with-backoff cases.
    if flag is not None:
        return flag
    if code in TEMPORARY_CODES or code in THROTTLING_CODES:
        return True
    return status >= 500 or status == 429


def _unparsed_error(status: int, body: bytes) -> GraphError:
    snippet = body[:200].decode("utf-8", errors="replace")
    return GraphError(
        f"HTTP {status} without a Graph error body: {snippet!r}",
        is_transient=status >= 500 or status == 429,
        http_status=status,
    )


def _to_int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None
