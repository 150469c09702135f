"""Which database errors are faults of the database's state rather than of what was asked.

A database that is down, restarting, out of connections, memory or disk, or that picked
this transaction as a deadlock victim says nothing about the request: the same request
succeeds later. So callers answer "try again" (HTTP 503 with Retry-After, websocket close
1013), never "sign in again" (a failed session lookup is not an ended session), and a
webhook receipt stays pending for the next round instead of being quarantined.

Errors are classified by what they mean, not listed one by one (a list missed
`CannotConnectNowError` and `InternalClientError` in a chaos run): the SQLSTATE classes
below, asyncpg's connection, protocol and client errors, and the operating system's socket
errors (refused, reset, timed out). Everything else (a constraint, a value Postgres
rejects, a bug) is the request's own and is answered or quarantined as such.
"""

from __future__ import annotations

import asyncpg

# SQLSTATE classes (the first two characters) that describe the database, not the data.
TRANSIENT_SQLSTATE_CLASSES = {
    "08": "connection exception",
    "40": "transaction rollback: serialization failure, deadlock",
    "53": "insufficient resources: disk full, out of memory, too many connections",
    "57": "operator intervention: shutdown, crash, cannot connect now, query cancelled",
    "58": "system error: I/O error",
}
# ...except these, which are the data's fault although their class is transient.
CONTENT_SQLSTATES = frozenset({"40002"})  # a deferred constraint failing at commit

# Client-side errors that are about the call, not the connection: a value asyncpg cannot
# encode (its DataError is an InterfaceError and a ValueError), a configuration mistake.
_CALL_ERRORS = (
    ValueError,
    asyncpg.exceptions.UnsupportedClientFeatureError,
    asyncpg.exceptions.UnsupportedServerFeatureError,
)


def is_database_fault(error: BaseException) -> bool:
    """True when the error comes from the database's state and a retry later may succeed."""
    if isinstance(error, asyncpg.PostgresError):
        sqlstate = error.sqlstate or ""
        return sqlstate[:2] in TRANSIENT_SQLSTATE_CLASSES and sqlstate not in CONTENT_SQLSTATES
    if isinstance(error, asyncpg.InterfaceError):  # "connection is closed", ...
        return not isinstance(error, _CALL_ERRORS)
    # InternalClientError: the protocol lost its footing, typically on a dying connection.
    # OSError: refused, reset, unreachable, timed out (TimeoutError is an OSError).
    return isinstance(error, asyncpg.InternalClientError | OSError)
