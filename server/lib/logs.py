"""Log lines as text or JSON, each carrying the context of the work it describes.

One handler on the root logger (uvicorn's loggers propagate to it), configured from one
dictConfig (`logging_config`) that `wazify serve` applies and hands to uvicorn, so worker
processes, which uvicorn starts afresh, log exactly as the parent does.

Context (a request id, the receipts a batch processes) lives in a ContextVar: set by the
HTTP layer or a worker for the work at hand, copied onto each record by `ContextFilter`
when the record is handled, which is still in the caller's task. Formatters read only the
record, and the message through `record.getMessage()`, so a filter that rewrites a
record's message or arguments is honoured by both formats: the handler carries
wazify.lib.redact.RedactingFilter, so no line reaches stderr with a credential in it,
whichever logger wrote it (ours, uvicorn's websocket header dumps, websockets, httpx,
Litestar, asyncpg) and at any level.
"""

from __future__ import annotations

import json
import logging
import logging.config
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

FORMATS = ("text", "json")
REQUEST_ID_HEADER = b"x-request-id"
# What an incoming X-Request-ID may look like to be kept: short, and nothing that could
# forge a log line or a header (no spaces, quotes or control characters).
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:=/+-]{1,128}")
_context: ContextVar[Mapping[str, Any]] = ContextVar(
    "wazify_log_context", default=MappingProxyType({})
)
# Attributes every LogRecord has: anything else on a record came from `extra=` or the context.
_RECORD_FIELDS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
    "color_message",  # uvicorn's copy of the message with terminal colours
}


def request_id_from(header: bytes | str | None) -> str:
    """The incoming X-Request-ID when it is sane, else a new random id."""
    if header:
        value = header.decode("latin-1") if isinstance(header, bytes) else header
        if _SANE_REQUEST_ID.fullmatch(value):
            return value
    return os.urandom(12).hex()


def bind_request_id(request_id: str) -> object:
    """Set the request id for the current task; returns a token for `unbind`."""
    return _context.set({"request_id": request_id})


def unbind(token: object) -> None:
    _context.reset(token)  # type: ignore[arg-type]


@contextmanager
def log_context(**fields: Any) -> Iterator[dict[str, Any]]:
    """Add fields to the log context for the block. Yields the context's dict: fields
    learnt inside the block (the receipts a claim returned) may be added to it."""
    fields = {**_context.get(), **fields}
    token = _context.set(fields)
    try:
        yield fields
    finally:
        _context.reset(token)


def current_context() -> Mapping[str, Any]:
    return _context.get()


class ContextFilter(logging.Filter):
    """Copies the current log context onto the record (fields given by `extra=` win)."""

    def filter(self, record: logging.LogRecord) -> bool:
        for key, value in _context.get().items():
            if key not in record.__dict__:
                setattr(record, key, value)
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _RECORD_FIELDS}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, process, then the context
    and `extra=` fields, and the traceback as `exc` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        line.update(_extras(record))
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["exc"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`LEVEL logger: message`, then the context as key=value pairs."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = _extras(record)
        if not extras:
            return text
        pairs = " ".join(f"{key}={json.dumps(value, default=str)}" for key, value in extras.items())
        head, newline, tail = text.partition("\n")  # the context before any traceback
        return f"{head} [{pairs}]{newline}{tail}"


def logging_config(level: str = "INFO", log_format: str = "text") -> dict[str, Any]:
    """The dictConfig for the whole process, uvicorn's loggers included."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}")
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,  # loggers made at import keep working
        "filters": {
            "context": {"()": ContextFilter},
            "redact": {"()": "wazify.lib.redact.RedactingFilter"},
        },
        "formatters": {"wazify": {"()": formatter}},
        "handlers": {
            "wazify": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "wazify",
                # Context first, so that what it adds is redacted too.
                "filters": ["context", "redact"],
            }
        },
        "root": {"level": level, "handlers": ["wazify"]},
        "loggers": {
            # uvicorn's own lines go through the root handler, in the same format...
            "uvicorn": {"level": level, "handlers": [], "propagate": True},
            "uvicorn.error": {"level": level, "handlers": [], "propagate": True},
            # ...but not its access log: URLs carry secrets here (the webhook handshake's
            # hub.verify_token, OAuth codes), and `wazify serve` turns it off anyway.
            "uvicorn.access": {"handlers": [], "propagate": False},
            "pgserver": {"level": "WARNING"},
        },
    }


def configure_logging(level: str = "INFO", log_format: str = "text") -> dict[str, Any]:
    """Apply logging_config to this process; returns it for uvicorn's log_config."""
    config = logging_config(level, log_format)
    logging.config.dictConfig(config)
    return config
