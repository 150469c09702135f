"""Piccolo's query builder on a given connection: inside the unit of work's transaction.

A Piccolo query run with `.run()` takes a connection of its own from the pool, outside the
unit's transaction, so its change would commit (or fail) apart from the events the unit
emits about it. Here the query is compiled to SQL and parameters by Piccolo and run on the
unit's connection instead: the builder's checks and names, the write path's atomicity.
"""

from __future__ import annotations

from typing import Any

import asyncpg
from piccolo.query.base import Query


def _compiled(query: Query[Any, Any]) -> tuple[str, list[Any]]:
    (querystring,) = query.querystrings
    return querystring.compile_string(engine_type="postgres")


Db = asyncpg.Connection | asyncpg.Pool


async def fetch(db: Db, query: Query[Any, Any]) -> list[asyncpg.Record]:
    sql, args = _compiled(query)
    return await db.fetch(sql, *args)


async def fetchrow(db: Db, query: Query[Any, Any]) -> asyncpg.Record | None:
    sql, args = _compiled(query)
    return await db.fetchrow(sql, *args)
