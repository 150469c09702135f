"""Logging for the long-running verbs (serve, demo, worker): one configuration, secrets redacted.

Every handler configured here carries wazify.lib.redact.RedactingFilter, so no line reaches
stderr or stdout with a credential in it, whichever logger wrote it (ours, uvicorn,
websockets, httpx, Litestar, asyncpg) and at any level. uvicorn gets the same dictionary
as its `log_config` (it applies it again in each worker process), so its own handlers are
these filtered ones rather than its unfiltered defaults.
"""

from __future__ import annotations

import logging.config
from typing import Any

FILTER = {"redact": {"()": "wazify.lib.redact.RedactingFilter"}}
PLAIN_FORMAT = "%(levelname)s %(name)s: %(message)s"


def logging_config(level: str) -> dict[str, Any]:
    """A logging.config.dictConfig dictionary: our format on stderr, uvicorn's loggers
    as uvicorn formats them, every handler redacting."""
    stderr = {"class": "logging.StreamHandler", "stream": "ext://sys.stderr", "filters": ["redact"]}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": FILTER,
        "formatters": {
            "plain": {"format": PLAIN_FORMAT},
            "default": {
                "()": "uvicorn.logging.DefaultFormatter",
                "fmt": "%(levelprefix)s %(message)s",
            },
            "access": {
                "()": "uvicorn.logging.AccessFormatter",
                "fmt": '%(levelprefix)s %(client_addr)s - "%(request_line)s" %(status_code)s',
            },
        },
        "handlers": {
            "plain": {**stderr, "formatter": "plain"},
            "default": {**stderr, "formatter": "default"},
            "access": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stdout",
                "filters": ["redact"],
                "formatter": "access",
            },
        },
        "loggers": {
            "uvicorn": {"handlers": ["default"], "level": level, "propagate": False},
            "uvicorn.error": {"level": level},
            "uvicorn.access": {"handlers": ["access"], "level": level, "propagate": False},
            "pgserver": {"level": "WARNING"},
        },
        "root": {"level": level, "handlers": ["plain"]},
    }


def configure_logging(level: str) -> dict[str, Any]:
    """Apply logging_config(level) to this process; returns it for uvicorn's log_config."""
    config = logging_config(level)
    logging.config.dictConfig(config)
    return config
