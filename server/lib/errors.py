"""Errors that are part of the interface: each has a status, a stable code and a message
written for the person reading it. The HTTP layer turns them into JSON; the CLI prints them.
"""

from __future__ import annotations


class AppError(Exception):
    status = 400
    code = "bad_request"

    # Machine-readable facts beside the message (a reply collision names who replied and
    # when); the HTTP layer sends them as error.details.
    details: dict | None = None

    def __init__(self, message: str, *, field: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if code is not None:
            self.code = code


class Invalid(AppError):
    status = 400
    code = "invalid"


class Unauthorized(AppError):
    status = 401
    code = "unauthorized"


class Forbidden(AppError):
    status = 403
    code = "forbidden"


class NotFound(AppError):
    status = 404
    code = "not_found"


class Conflict(AppError):
    status = 409
    code = "conflict"


class Gone(AppError):
    """It existed, and is no more (an expired link)."""

    status = 410
    code = "gone"


class TooLarge(AppError):
    status = 413
    code = "too_large"


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(AppError):
    status = 429
    code = "too_many_requests"

    def __init__(self, message: str, *, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(AppError):
    """Try again later; `retry_after` (seconds) becomes the Retry-After header when known."""

    status = 503
    code = "unavailable"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        code: str | None = None,
        retry_after: int | None = None,
    ):
        super().__init__(message, field=field, code=code)
        self.retry_after = retry_after
