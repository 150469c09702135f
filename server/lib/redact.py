"""Keep secrets out of messages shown to people and written to logs.

`redact_url` hides a database password in a message we write ourselves. `RedactingFilter`
guards every log line whoever writes it: at DEBUG, websockets (under uvicorn) dumps each
handshake header, `Authorization: Bearer wz_...` and `Cookie: wazify_session=...`
included, and httpx logs every request's URL at INFO, the Graph API's `access_token` and
`client_secret` query parameters included. A filter on the handlers (not on loggers) sees
every record that is written, from any logger, propagated or not: `wazify serve` installs
it on each handler it configures (wazify.lib.logs).
"""

from __future__ import annotations

import logging
import re
from urllib.parse import urlsplit, urlunsplit

MASK = "***"

# Headers whose whole value is a credential, in "< Cookie: a=b" (websockets) and
# "(b'cookie', b'a=b')" (ASGI scope, httpcore) dumps alike.
_SECRET_HEADERS = re.compile(
    r"(?i)\b((?:set-)?cookie|(?:proxy-)?authorization|x-csrf-token|x-api-key)"
    r"(['\"]?\s*[:,]\s*(?:b?['\"])?)[^'\"\r\n]+"
)
# "Bearer <token>" wherever it appears (a header value quoted in some other message).
_AUTH_SCHEMES = re.compile(r"(?i)\b(bearer|basic)(\s+)[^\s'\",;]+")
# name=value (query strings, forms, cookies) and "name": "value" (JSON, Python reprs) where
# the name says secret; `code` is the OAuth code in a callback URL (after ? or &).
_SECRET_PAIRS = re.compile(
    r"(?i)((?:[\w.-]*(?:token|secret|password|session|proof|csrf)[\w.-]*|(?<=[?&])code)"
    r"(?:=|['\"]\s*:\s*['\"]?))[^&\s;,'\"}]+"
)
# Secrets recognisable by their shape wherever they appear: our API tokens (wazify.auth.tokens
# prefixes them with wz_; lib/ may not import it) and Instagram/Facebook access tokens.
_TOKEN_SHAPES = re.compile(r"\b(?:wz_[A-Za-z0-9_-]{16,}|(?:IG[A-Z]{1,3}|EAA)[A-Za-z0-9_-]{30,})")


def redact_url(url: str) -> str:
    """postgresql://user:secret@host/db -> postgresql://user:***@host/db"""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", f":{MASK}@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def redact(text: str) -> str:
    """`text` with every credential it holds replaced by ***."""
    text = _SECRET_HEADERS.sub(rf"\1\2{MASK}", text)
    text = _AUTH_SCHEMES.sub(rf"\1\2{MASK}", text)
    text = _SECRET_PAIRS.sub(rf"\1{MASK}", text)
    return _TOKEN_SHAPES.sub(MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrites a record holding a credential before any formatter sees it; never drops one."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format fails in the handler, which reports it
            return True
        clean = redact(message)
        if clean != message:
            _redact_message(record, clean)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def _redact_message(record: logging.LogRecord, clean: str) -> None:
    # Arguments first, one by one: formatters that read them (uvicorn's access log unpacks
    # five) keep working. A secret only visible once formatted (a header name and its value
    # in two arguments) leaves the record as its formatted, redacted text (`clean`).
    if isinstance(record.msg, str):
        record.msg = redact(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
    try:
        message: str | None = record.getMessage()
    except Exception:  # a redacted argument no longer fits its format
        message = None
    if message is None or redact(message) != message:
        record.msg, record.args = clean, ()
        # uvicorn's coloured formatter would format this with the original arguments.
        record.__dict__.pop("color_message", None)
