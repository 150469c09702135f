"""Meta's Graph error answers, byte-shaped as Meta sends them (PLATFORM.md section 6.4).

`{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}`; error_subcode is
left out when there is none, as Meta does. Route handlers raise MetaApiError and the
exception handler registered by create_fake_graph turns it into the response.
"""

import base64
import secrets
from collections.abc import Callable
from typing import Any

import msgspec
from litestar import Request, Response

from wazify.fakemeta.state import FailureRule

OAUTH = "OAuthException"
GRAPH_METHOD = "GraphMethodException"


class MetaApiError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        code: int,
        subcode: int | None = None,
        type: str = OAUTH,
        is_transient: bool | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(message, code, subcode, type, is_transient)
        self.headers: dict[str, str] = {}
        if code == 190:
            # Graph adds this header to invalid-token answers.
            self.headers["WWW-Authenticate"] = (
                f'OAuth "Facebook Platform" "invalid_token" "{message}"'
            )


def fbtrace_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(8)).decode().rstrip("=") + "A"


def error_body(
    message: str,
    code: int,
    subcode: int | None = None,
    type: str = OAUTH,
    is_transient: bool | None = None,
) -> dict[str, Any]:
    error: dict[str, Any] = {"message": message, "type": type, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if is_transient is not None:
        error["is_transient"] = is_transient
    error["fbtrace_id"] = fbtrace_id()
    return {"error": error}


def missing_token() -> MetaApiError:
    return MetaApiError(400, "An access token is required to request this resource.", 104)


def invalid_token() -> MetaApiError:
    return MetaApiError(400, "Invalid OAuth access token - Cannot parse access token", 190)


def expired_token() -> MetaApiError:
    message = (
        "Error validating access token: Session has expired on Sunday, 29-Nov-26 10:00:00 PST."
    )
    return MetaApiError(400, message, 190, 463)


def consent_required() -> MetaApiError:
    return MetaApiError(400, "User consent is required to access user profile", 230)


def object_unavailable(node_id: str, method: str = "get") -> MetaApiError:
    """Graph's answer for an id that does not exist or cannot be seen (also a blocked user)."""
    message = (
        f"Unsupported {method.lower()} request. Object with ID '{node_id}' does not exist, "
        "cannot be loaded due to missing permissions, or does not support this operation."
    )
    return MetaApiError(400, message, 100, 33, GRAPH_METHOD)


def nonexisting_field(name: str, node_type: str = "User") -> MetaApiError:
    message = f"(#100) Tried accessing nonexisting field ({name}) on node type ({node_type})"
    return MetaApiError(400, message, 100)


def unknown_path(path: str) -> MetaApiError:
    return MetaApiError(400, f"Unknown path components: {path}", 2500)


def generic_for_status(status: int) -> MetaApiError:
    """The error a bare injected status stands for (5xx: Meta's unknown/temporary errors)."""
    if status == 503:
        return MetaApiError(503, "Service temporarily unavailable", 2, is_transient=True)
    if status >= 500:
        return MetaApiError(status, "An unknown error occurred", 1, 99, is_transient=True)
    return MetaApiError(status, "An unexpected error has occurred.", 1)


PRESETS: dict[str, Callable[[], MetaApiError]] = {
    "token_missing": missing_token,
    "token_invalid": invalid_token,
    "token_expired": expired_token,
    "consent_required": consent_required,
    "user_blocked": lambda: object_unavailable("0"),
    "throttled": lambda: MetaApiError(400, "(#4) Application request limit reached", 4),
    "user_throttled": lambda: MetaApiError(400, "(#17) User request limit reached", 17),
    "window_closed": lambda: MetaApiError(
        400, "This message is sent outside of allowed window.", 10, 2534022
    ),
    "user_unavailable": lambda: MetaApiError(
        400, "This person isn't available right now.", 551, 1545041
    ),
    "permission": lambda: MetaApiError(
        403, "(#200) The user has not given permission to access messages", 200, 2534041
    ),
    "page_throttled": lambda: MetaApiError(400, "(#32) Page request limit reached", 32),
    "custom_throttled": lambda: MetaApiError(
        400, "(#613) Calls to this api have exceeded the rate limit.", 613
    ),
    "business_throttled": lambda: MetaApiError(
        400, "(#80002) There have been too many calls to this Instagram account.", 80002
    ),
    "window_closed_legacy": lambda: MetaApiError(
        400, "(#10) Message sent outside of allowed window.", 10, 2018278
    ),
    "restricted": lambda: MetaApiError(
        400, "(#10) This account is temporarily restricted from sending messages.", 10, 1893063
    ),
    "server_error": lambda: generic_for_status(500),
    "service_unavailable": lambda: generic_for_status(503),
}


def failure_response(rule: FailureRule) -> tuple[int, bytes, dict[str, str]] | None:
    """(status, body, headers) for an injected failure; None for a delay-only rule."""
    if rule.preset is not None:
        error = PRESETS[rule.preset]()
        return rule.status or error.status, _json(error.body), error.headers
    if rule.error is not None:
        body = {"error": {**rule.error, "fbtrace_id": rule.error.get("fbtrace_id", fbtrace_id())}}
        return rule.status or 400, _json(body), {}
    if rule.body is not None:
        return rule.status or 500, rule.body.encode("utf-8"), {}
    if rule.status is not None:
        error = generic_for_status(rule.status)
        return rule.status, _json(error.body), error.headers
    return None


def handle_meta_error(_: Request, exc: Exception) -> Response[Any]:
    if not isinstance(exc, MetaApiError):  # registered for MetaApiError only
        raise exc
    return Response(exc.body, status_code=exc.status, headers=exc.headers)


def handle_not_found(request: Request, _: Exception) -> Response[Any]:
    """Unknown paths answer like Graph does, not with Litestar's JSON."""
    return handle_meta_error(request, unknown_path(request.url.path))


def handle_method_not_allowed(request: Request, _: Exception) -> Response[Any]:
    error = MetaApiError(400, f"Unsupported {request.method.lower()} request.", 100)
    return handle_meta_error(request, error)


def _json(body: dict[str, Any]) -> bytes:
    return msgspec.json.encode(body)
