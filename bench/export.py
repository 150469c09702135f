"""Export benchmark: time and peak memory of exporting a workspace of a million messages.

    python bench/export.py                       # 1,000,000 messages in 10,000 conversations
    python bench/export.py --messages 200000 --keep

It creates a database on the given PostgreSQL server, migrates it, and fills two workspaces
with set-based SQL (generate_series): `bench`, with the messages asked for (a tenth with an
attachment, reactions on one in twenty, an assignment audit entry per conversation), and
`small`, with a thousand. Then it runs `wazify export --workspace ... -o FILE` as an operator
would, in a process of its own, and reports the wall time and that process's peak RSS
(ru_maxrss from wait4): the small export is the baseline, so the difference is what the size
of the workspace costs in memory (the claim: nothing, rows stream through).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.support.services import create_database, drop_database
from wazify.db.migrate import apply_migrations
from wazify.lib.crypto import generate_key

FILL = """
WITH w AS (INSERT INTO workspaces (slug, name) VALUES ($1, $1) RETURNING id),
     c AS (INSERT INTO workspace_counters (workspace_id) SELECT id FROM w),
     a AS (INSERT INTO ig_accounts (workspace_id, ig_id, username)
           SELECT id, $2, $1 FROM w RETURNING id, workspace_id)
INSERT INTO contacts (workspace_id, account_id, igsid, name, username, profile_state)
SELECT a.workspace_id, a.id, $2 || '-' || g, 'Customer ' || g, 'customer_' || g, 'fetched'
FROM a, generate_series(1, $3::int) g
"""
CONVERSATIONS = """
INSERT INTO conversations (workspace_id, account_id, contact_id, status, last_activity_at)
SELECT workspace_id, account_id, id, 'open', now() FROM contacts WHERE workspace_id = $1
"""
MESSAGES = """
INSERT INTO messages (workspace_id, conversation_id, account_id, direction, source, mid, text,
                      attachments, status, sent_at, created_at, updated_at)
SELECT c.workspace_id, c.id, c.account_id,
       CASE WHEN g % 3 = 0 THEN 'out' ELSE 'in' END,
       CASE WHEN g % 3 = 0 THEN 'agent' ELSE 'customer' END,
       'mid.' || $1 || '.' || g,
       'Message ' || g || ': ' || md5(g::text) || ' is it still available in size M?',
       CASE WHEN g % 10 = 0 THEN jsonb_build_array(jsonb_build_object('type', 'image',
            'url', 'https://cdn.example.test/media/' || md5(g::text) || '.jpg'))
            ELSE '[]'::jsonb END,
       CASE WHEN g % 3 = 0 THEN 'delivered' ELSE 'received' END,
       now() - (g || ' seconds')::interval, now(), now()
FROM generate_series(1, $2::int) g
JOIN conversations c ON c.workspace_id = $3 AND c.contact_id = (
    SELECT min(id) FROM contacts WHERE workspace_id = $3) + (g % $4::int)
"""
REACTIONS = """
INSERT INTO reactions (workspace_id, message_id, reactor_kind, reactor_id, reaction, emoji,
                       reacted_at)
SELECT workspace_id, id, 'contact', 'r' || id, 'love', '❤️', now()
FROM messages WHERE workspace_id = $1 AND id % 20 = 0
"""
AUDIT = """
INSERT INTO audit_entries (workspace_id, actor_label, action, target_type, target_id, before,
                           after)
SELECT workspace_id, 'bench', 'conversation.assigned', 'conversation', id::text,
       '{"assignee_id": null}', '{"assignee_id": null}'
FROM conversations WHERE workspace_id = $1
"""


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--conversations", type=int, default=10_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get(
            "WAZIFY_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    return parser.parse_args()


async def fill(url: str, slug: str, ig_id: str, messages: int, conversations: int) -> None:
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(FILL, slug, ig_id, conversations)
        workspace_id = await connection.fetchval("SELECT id FROM workspaces WHERE slug = $1", slug)
        await connection.execute(CONVERSATIONS, workspace_id)
        await connection.execute(MESSAGES, slug, messages, workspace_id, conversations)
        await connection.execute(REACTIONS, workspace_id)
        await connection.execute(AUDIT, workspace_id)
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


def export(url: str, key: str, slug: str, target: Path) -> tuple[float, int]:
    """(seconds, peak RSS in bytes) of `wazify export` in a process of its own."""
    env = {**os.environ, "DATABASE_URL": url, "WAZIFY_TOKEN_KEYS": key}
    command = [sys.executable, "-m", "wazify.cli", "export", "--workspace", slug]
    started = time.monotonic()
    process = subprocess.Popen(
        [*command, "-o", str(target), "--quiet"], env=env, stdout=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise SystemExit(f"wazify export failed with status {process.returncode}")
    return elapsed, usage.ru_maxrss * 1024


def describe(target: Path) -> tuple[int, dict[str, int]]:
    with zipfile.ZipFile(target) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        raw = sum(info.file_size for info in archive.infolist())
    return raw, {entry["name"]: entry["rows"] for entry in manifest["files"]}


async def main() -> None:
    args = parse_args()
    name = f"wazify_bench_export_{secrets.token_hex(3)}"
    url = await create_database(args.admin_url, name)
    try:
        await apply_migrations(url)
        started = time.monotonic()
        await fill(url, "bench", "17841400000000001", args.messages, args.conversations)
        await fill(url, "small", "17841400000000002", 1000, 10)
        print(f"filled in {time.monotonic() - started:.1f} s")
        key = generate_key()
        with tempfile.TemporaryDirectory() as folder:
            for slug in ("small", "bench"):
                target = Path(folder) / f"{slug}.zip"
                seconds, peak = export(url, key, slug, target)
                raw, rows = describe(target)
                total = sum(rows.values())
                print(
                    f"{slug}: {rows['messages.jsonl']:,} messages, {total:,} rows,"
                    f" {raw / 1e6:.0f} MB of JSON Lines in a {target.stat().st_size / 1e6:.0f} MB"
                    f" zip: {seconds:.1f} s ({total / seconds:,.0f} rows/s),"
                    f" peak RSS {peak / 1e6:.0f} MB"
                )
    finally:
        if args.keep:
            print(f"kept the database {url}")
        else:
            await drop_database(args.admin_url, name)


if __name__ == "__main__":
    asyncio.run(main())
