"""Database errors are told apart by what they mean: the database's state (try again later)
or the request's content (answered, or quarantined). A short list missed some (issue 14)."""

import asyncpg
import asyncpg.exceptions as pg
import pytest

from wazify.lib.db_faults import is_database_fault

FAULTS = [
    pg.CannotConnectNowError("the database system is shutting down"),  # 57P03
    pg.AdminShutdownError("terminating connection due to administrator command"),  # 57P01
    pg.QueryCanceledError("canceling statement due to statement timeout"),  # 57014
    pg.TooManyConnectionsError("sorry, too many clients already"),  # 53300
    pg.DiskFullError("could not extend file"),  # 53100
    pg.PostgresIOError("could not read block"),  # 58030
    pg.ConnectionDoesNotExistError("connection was closed in the middle of operation"),  # 08003
    pg.ConnectionFailureError("server closed the connection unexpectedly"),  # 08006
    pg.DeadlockDetectedError("deadlock detected"),  # 40P01
    pg.SerializationError("could not serialize access"),  # 40001
    pg.InternalClientError("unexpected error while performing authentication"),
    pg.ProtocolError("protocol error"),
    asyncpg.InterfaceError("connection is closed"),
    ConnectionRefusedError(111, "Connect call failed"),
    ConnectionResetError(104, "Connection reset by peer"),
    TimeoutError(),
]

CONTENT = [
    pg.UniqueViolationError("duplicate key value"),  # 23505
    pg.CharacterNotInRepertoireError("invalid byte sequence"),  # 22021
    pg.NumericValueOutOfRangeError("value out of range"),  # 22003
    pg.TransactionIntegrityConstraintViolationError("deferred constraint"),  # 40002
    pg.UndefinedColumnError("column does not exist"),  # 42703
    pg._base.DataError("invalid input for query argument $1"),  # asyncpg could not encode
    ValueError("bad value"),
    KeyError("missing"),
]


@pytest.mark.parametrize("error", FAULTS, ids=lambda e: type(e).__name__)
def test_faults_of_the_database_are_transient(error: BaseException) -> None:
    assert is_database_fault(error)


@pytest.mark.parametrize("error", CONTENT, ids=lambda e: type(e).__name__)
def test_faults_of_the_request_are_not(error: BaseException) -> None:
    assert not is_database_fault(error)
