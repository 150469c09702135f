"""Advisory locks on message identities (account, mid), held until commit."""

from __future__ import annotations

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
    modes = dict.fromkeys(message_keys, False) | dict.fromkeys(effect_keys, True)
    if not modes:
        return
    ordered = sorted(modes)
    await uow.conn.execute(
        "SELECT CASE WHEN k.exclusive THEN pg_advisory_xact_lock(k.key)::text"
        " ELSE pg_advisory_xact_lock_shared(k.key)::text END FROM ("
        " SELECT key, bool_or(exclusive) AS exclusive FROM ("
        f"  SELECT {MESSAGE_LOCK_BASE} + abs(hashtextextended("
        f"  a.account_id::text || ':' || a.mid, 0) % {MESSAGE_LOCK_BUCKETS}) AS key, a.exclusive"
        "  FROM unnest($1::bigint[], $2::text[], $3::bool[]) AS a(account_id, mid, exclusive)"
        " ) AS b GROUP BY key ORDER BY key) AS k",
        [account_id for account_id, _ in ordered],
        [mid for _, mid in ordered],
        [modes[key] for key in ordered],
    )
