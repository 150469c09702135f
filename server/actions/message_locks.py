"""Advisory locks on message identities (account, mid), held until commit."""

from __future__ import annotations

import zlib

from wazify.actions.uow import UnitOfWork

# Advisory lock keys of message identities: a fixed range of buckets.
MESSAGE_LOCK_BASE = 7_302_941_200
MESSAGE_LOCK_BUCKETS = 64


async def lock_message_keys(
    uow: UnitOfWork, message_keys: set[tuple[int, str]], effect_keys: set[tuple[int, str]]
) -> None:
    """Hold every (account, mid) of the batch until commit: messages shared, effects
    exclusive.

    Otherwise an effect and its message applied at once by two processors each miss the
    other's uncommitted row: the effect is deferred, the message looks for deferred effects
    before that row commits, and the effect is never applied. An effect's exclusive lock
    waits for (and blocks) any batch storing its message; batches that only store messages
    share their locks and run side by side (a repeated mid is settled by the unique index).
    The keys are taken in one sorted statement before anything else, so two batches cannot
    deadlock on them. Keys are hashed into a fixed number of buckets: a batch of thousands
    of messages would otherwise take thousands of locks and exhaust the server's lock table.
    """
    # Buckets are computed here: the statement then carries at most 64 keys, not one
    # row per message (encoding thousands of them cost more than the locks).
    exclusive: dict[int, bool] = {}
    for account_id, mid in message_keys:
        exclusive.setdefault(_bucket(account_id, mid), False)
    for account_id, mid in effect_keys:
        exclusive[_bucket(account_id, mid)] = True
    if not exclusive:
        return
    keys = sorted(exclusive)
    await uow.conn.execute(
        "SELECT CASE WHEN k.exclusive THEN pg_advisory_xact_lock(k.key)::text"
        " ELSE pg_advisory_xact_lock_shared(k.key)::text END"
        " FROM unnest($1::bigint[], $2::bool[]) AS k(key, exclusive)",  # in array order
        keys,
        [exclusive[key] for key in keys],
    )


def _bucket(account_id: int, mid: str) -> int:
    return MESSAGE_LOCK_BASE + zlib.crc32(f"{account_id}:{mid}".encode()) % MESSAGE_LOCK_BUCKETS
