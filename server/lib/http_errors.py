"""Every error answer is JSON of one shape, with a precise status, never a stack trace:

{"error": {"code": "invalid", "message": "...", "field": "email"}}

(with "details" too when an error carries facts for programs, such as a reply collision)
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from wazify.lib.db_faults import is_database_fault
from wazify.lib.errors import AppError, TooManyRequests, Unavailable

log = logging.getLogger("wazify.http")

_FIELD_IN_MESSAGE = re.compile(r"at `\$\.([A-Za-z0-9_.\[\]]+)`|field `([A-Za-z0-9_]+)`")
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
    503: "unavailable",
}


def error_body(
    code: str, message: str, field: str | None = None, details: dict | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"code": code, "message": message}
    if field:
        error["field"] = field
    if details is not None:
        error["details"] = details
    return {"error": error}


def _validation_details(exc: ValidationException) -> tuple[str, str | None]:
    """Litestar wraps msgspec's message (which names the field) in `extra`."""
    extra = exc.extra if isinstance(exc.extra, list) else []
    for item in extra:
        if isinstance(item, dict) and item.get("message"):
            message = str(item["message"])
            field = item.get("key") or None
            match = _FIELD_IN_MESSAGE.search(message)
            if match and not field:
                field = match.group(1) or match.group(2)
            if field in ("body", "data", ""):
                field = match.group(1) or match.group(2) if match else None
            return message, field
    detail = exc.detail or "invalid request"
    if "Malformed" in detail or "JSON" in detail:
        return "the request body is not valid JSON", None
    return detail, None


def handle_app_error(_: Request, exc: AppError) -> Response:
    headers = {}
    if isinstance(exc, TooManyRequests | Unavailable) and exc.retry_after is not None:
        headers["Retry-After"] = str(exc.retry_after)
    return Response(
        error_body(exc.code, exc.message, exc.field, exc.details),
        status_code=exc.status,
        headers=headers,
    )


def handle_http_exception(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if status == 404 and "\x00" in request.scope["path"]:
        # No route matched, so RefuseNulMiddleware (route middleware) never saw the path.
        return Response(
            error_body("invalid", "the path contains a NUL character", "path"), status_code=400
        )
    if isinstance(exc, ValidationException):
        message, field = _validation_details(exc)
        return Response(error_body("invalid", message, field), status_code=400)
    message = exc.detail or _HTTP_CODES.get(status, "error").replace("_", " ")
    return Response(
        error_body(_HTTP_CODES.get(status, "error"), message),
        status_code=status,
        headers=exc.headers or {},
    )


DATABASE_DOWN_MESSAGE = "the database is unavailable, try again shortly"


def handle_database_down(_: Request, exc: Exception) -> Response:
    log.warning("database unavailable: %s", type(exc).__name__)
    return Response(
        error_body("unavailable", DATABASE_DOWN_MESSAGE),
        status_code=503,
        headers={"Retry-After": "5"},
    )


def handle_unexpected(request: Request, exc: Exception) -> Response:
    if is_database_fault(exc):  # the database's state, not the request: try again
        return handle_database_down(request, exc)
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return Response(
        error_body("internal", "an internal error occurred; it has been logged"),
        status_code=HTTP_500_INTERNAL_SERVER_ERROR,
    )


# A write the database did not take: down, or refusing (disk full, shutting down, ...).
WRITE_REFUSED = (
    OSError,
    asyncpg.PostgresError,
    asyncpg.InterfaceError,
    asyncpg.InternalClientError,
)

# Database faults (lib/db_faults.py) reach handle_unexpected, which answers them 503.
EXCEPTION_HANDLERS: dict[Any, Any] = {
    AppError: handle_app_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
