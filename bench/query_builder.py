"""What Piccolo's query builder costs beside hand-written SQL, per query, on one pool.

    python bench/query_builder.py --dsn postgresql://postgres@127.0.0.1/some_migrated_db

Three shapes the hot paths run: a one-row read by key (a session's resolution), a
conditional one-row update (the outbox claim's shape), and a 100-row insert (a webhook
batch's messages; Piccolo's bulk insert, against one unnest statement). Each is timed over
--rounds runs, alternating the two forms so the machine's noise falls on both; the figures
quoted in docs/migrations.md ("Where SQL stays") come from here.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from wazify.db.engine import close_engine, open_engine
from wazify.db.tables import Workspace, WorkspaceCounter

ROWS = 100


async def timed(work, rounds: int) -> float:
    """Median microseconds of one call."""
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - start) * 1e6)
    return statistics.median(samples)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dsn", required=True)
    parser.add_argument("--rounds", type=int, default=2000)
    args = parser.parse_args()
    engine = await open_engine(args.dsn, min_size=1, max_size=2)
    pool = engine.pool
    try:
        workspace = await pool.fetchval(
            "INSERT INTO workspaces (slug, name) VALUES ('bench-qb', 'b')"
            " ON CONFLICT (slug) DO UPDATE SET name = 'b' RETURNING id"
        )
        await pool.execute(
            "INSERT INTO workspace_counters VALUES ($1, 0) ON CONFLICT DO NOTHING", workspace
        )

        async def read_sql():
            await pool.fetchrow("SELECT id, slug, name FROM workspaces WHERE id = $1", workspace)

        async def read_piccolo():
            await (
                Workspace.select(Workspace.id, Workspace.slug, Workspace.name)
                .where(Workspace.id == workspace)
                .first()
            )

        async def update_sql():
            await pool.fetchval(
                "UPDATE workspace_counters SET last_seq = last_seq WHERE workspace_id = $1"
                " AND last_seq >= 0 RETURNING last_seq",
                workspace,
            )

        async def update_piccolo():
            await (
                WorkspaceCounter.update({WorkspaceCounter.last_seq: WorkspaceCounter.last_seq})
                .where((WorkspaceCounter.workspace == workspace) & (WorkspaceCounter.last_seq >= 0))
                .returning(WorkspaceCounter.last_seq)
            )

        await pool.execute(
            "CREATE TABLE IF NOT EXISTS bench_qb_rows (id bigserial PRIMARY KEY,"
            " workspace_id bigint, name text)"
        )

        from piccolo.columns import BigInt, BigSerial, Text
        from piccolo.table import Table

        class Row(Table, tablename="bench_qb_rows"):
            id = BigSerial(primary_key=True)
            workspace_id = BigInt()
            name = Text()

        Row._meta.db = engine
        names = [f"row {n}" for n in range(ROWS)]

        async def insert_sql():
            await pool.execute(
                "INSERT INTO bench_qb_rows (workspace_id, name) SELECT $1, unnest($2::text[])",
                workspace,
                names,
            )

        async def insert_piccolo():
            await Row.insert(*[Row(workspace_id=workspace, name=name) for name in names])

        pairs = {
            "read one row by key": (read_sql, read_piccolo),
            "update one row, returning": (update_sql, update_piccolo),
            f"insert {ROWS} rows": (insert_sql, insert_piccolo),
        }
        for label, (sql, piccolo) in pairs.items():
            rounds = args.rounds if "insert" not in label else max(50, args.rounds // 10)
            sql_us, piccolo_us = [], []
            for _ in range(4):  # alternate, so drift in the machine's load falls on both
                sql_us.append(await timed(sql, rounds // 4))
                piccolo_us.append(await timed(piccolo, rounds // 4))
            a, b = statistics.median(sql_us), statistics.median(piccolo_us)
            print(f"{label}: SQL {a:.0f} us, Piccolo {b:.0f} us (+{b - a:.0f} us, x{b / a:.2f})")
        await pool.execute("DROP TABLE bench_qb_rows")
    finally:
        await close_engine(engine)


if __name__ == "__main__":
    asyncio.run(main())
