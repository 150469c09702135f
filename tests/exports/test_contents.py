"""What an export holds, checked against the database with queries of the test's own: every
row of every entity, with every field (secrets excepted), the manifest's counts and hashes;
a contact's export holds that person and nothing of anyone else; no secret ever leaves."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.exports.conftest import ALICE, BRUNO, CLARA, Export, Shop, read_export
from tests.support.world import SYSTEM
from wazify.actions.deletions import do_request_workspace_deletion
from wazify.actions.exports import do_request_export
from wazify.actions.imports import do_queue_import
from wazify.actions.uow import unit_of_work
from wazify.exports.exporter import Requester, Scope, write_export
from wazify.runtime import Runtime

# Columns that never leave (secrets, raw bodies, server paths, the search index).
NEVER = {
    "access_token_enc",
    "token_hash",
    "password_hash",
    "body",
    "file_path",
    "search",
    "lease_token",
}

# The workspace's rows of each file, as the test reads them ($1: the workspace).
WORKSPACE_ROWS = {
    "workspace.jsonl": "SELECT w.*, c.last_seq FROM workspaces w"
    " JOIN workspace_counters c ON c.workspace_id = w.id WHERE w.id = $1",
    "members.jsonl": "SELECT u.id AS user_id, u.email, u.name, m.role, m.active,"
    " m.created_at AS joined_at, m.updated_at FROM memberships m"
    " JOIN users u ON u.id = m.user_id WHERE m.workspace_id = $1",
    "invitations.jsonl": "SELECT * FROM invitations WHERE workspace_id = $1",
    "api_tokens.jsonl": "SELECT * FROM api_tokens WHERE workspace_id = $1",
    "accounts.jsonl": "SELECT * FROM ig_accounts WHERE workspace_id = $1",
    "contacts.jsonl": "SELECT * FROM contacts WHERE workspace_id = $1",
    "conversations.jsonl": "SELECT * FROM conversations WHERE workspace_id = $1",
    "messages.jsonl": "SELECT * FROM messages WHERE conversation_id IN"
    " (SELECT id FROM conversations WHERE workspace_id = $1)",
    "reactions.jsonl": "SELECT * FROM reactions WHERE workspace_id = $1",
    "status_changes.jsonl": "SELECT * FROM conversation_status_changes WHERE workspace_id = $1",
    "read_positions.jsonl": "SELECT * FROM read_positions WHERE workspace_id = $1",
    "deferred_effects.jsonl": "SELECT * FROM deferred_effects WHERE account_id IN"
    " (SELECT id FROM ig_accounts WHERE workspace_id = $1)",
    # The payload, JSON stored as text, is written as JSON.
    "events.jsonl": "SELECT workspace_id, seq, type, payload::json AS payload, audience_user_id,"
    " audience_roles, created_at FROM events WHERE workspace_id = $1",
    "audit_entries.jsonl": "SELECT * FROM audit_entries WHERE workspace_id = $1",
    "assignments.jsonl": "SELECT id AS audit_entry_id, target_id::bigint AS conversation_id,"
    " action, (before ->> 'assignee_id')::bigint AS previous_assignee_id,"
    " (after ->> 'assignee_id')::bigint AS assignee_id, actor_id, actor_label,"
    " created_at AS at FROM audit_entries WHERE workspace_id = $1"
    " AND action IN ('conversation.assigned', 'conversation.unassigned')",
    "webhook_receipts.jsonl": "SELECT * FROM webhook_receipts r WHERE EXISTS (SELECT 1"
    " FROM ig_accounts a WHERE a.workspace_id = $1 AND a.ig_id = ANY (r.ig_ids))",
    "export_jobs.jsonl": "SELECT * FROM export_jobs WHERE workspace_id = $1",
    "import_jobs.jsonl": "SELECT * FROM import_jobs WHERE workspace_id = $1",
    "deletion_jobs.jsonl": "SELECT * FROM deletion_jobs WHERE workspace_id = $1",
}
# One contact's rows ($1: the workspace, $2: the contact).
CONVERSATIONS_OF = "SELECT id FROM conversations WHERE workspace_id = $1 AND contact_id = $2"
MESSAGES_OF = f"SELECT id FROM messages WHERE conversation_id IN ({CONVERSATIONS_OF})"
CONTACT_ROWS = {
    "contacts.jsonl": "SELECT * FROM contacts WHERE workspace_id = $1 AND id = $2",
    "accounts.jsonl": "SELECT a.id, a.ig_id, a.username, a.name FROM ig_accounts a"
    " JOIN contacts c ON c.account_id = a.id WHERE c.workspace_id = $1 AND c.id = $2",
    "conversations.jsonl": f"SELECT * FROM conversations WHERE id IN ({CONVERSATIONS_OF})",
    "messages.jsonl": f"SELECT * FROM messages WHERE id IN ({MESSAGES_OF})",
    "reactions.jsonl": f"SELECT * FROM reactions WHERE message_id IN ({MESSAGES_OF})",
    "audit_entries.jsonl": "SELECT * FROM audit_entries WHERE workspace_id = $1 AND ("
    " (target_type = 'contact' AND target_id = $2::bigint::text)"
    f" OR (target_type = 'conversation' AND target_id::bigint IN ({CONVERSATIONS_OF}))"
    f" OR (target_type = 'message' AND target_id::bigint IN ({MESSAGES_OF}))"
    " OR (target_type = 'export' AND after ->> 'contact_id' = $2::bigint::text))",
    "assignments.jsonl": "SELECT id AS audit_entry_id, target_id::bigint AS conversation_id,"
    " action, (before ->> 'assignee_id')::bigint AS previous_assignee_id,"
    " (after ->> 'assignee_id')::bigint AS assignee_id, actor_id, actor_label,"
    " created_at AS at FROM audit_entries WHERE workspace_id = $1"
    " AND action IN ('conversation.assigned', 'conversation.unassigned')"
    f" AND target_id::bigint IN ({CONVERSATIONS_OF})",
}
KEYS = {
    "members.jsonl": ("user_id",),
    "read_positions.jsonl": ("user_id", "conversation_id"),
    "events.jsonl": ("seq",),
    "assignments.jsonl": ("audit_entry_id",),
}
JSON_TYPES = {"json", "jsonb"}
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$")


async def export_of(runtime: Runtime, scope: Scope, folder: Path) -> Export:
    path = folder / f"{scope.kind}.zip"
    await write_export(runtime.engine.pool, scope, path, by=Requester(7, "admin@shop.test"))
    return read_export(path)


def key_of(name: str, row: dict) -> tuple:
    return tuple(row[key] for key in KEYS.get(name, ("id",)))


def expected_value(value: Any, type_name: str) -> Any:
    """A database value as the export must write it (JSON types decoded, bytes as hex)."""
    if type_name in JSON_TYPES and isinstance(value, str):
        return json.loads(value)
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return list(value)
    return value


def exported_value(value: Any, expected: Any) -> Any:
    if isinstance(expected, datetime):
        assert ISO_WITH_OFFSET.match(value), value
        return datetime.fromisoformat(value)
    return value


async def database_rows(db, name: str, sql: str, *args: int) -> dict[tuple, dict]:
    statement = await db.prepare(sql)
    types = {attribute.name: attribute.type.name for attribute in statement.get_attributes()}
    rows = {}
    for record in await statement.fetch(*args):
        row = {k: expected_value(v, types[k]) for k, v in record.items() if k not in NEVER}
        rows[key_of(name, row)] = row
    return rows


async def check_against_database(db, export: Export, queries: dict[str, str], *args: int) -> None:
    assert set(export.files) == set(queries)
    for name, sql in queries.items():
        expected = await database_rows(db, name, sql, *args)
        exported = {key_of(name, row): row for row in export.files[name]}
        assert exported.keys() == expected.keys(), name
        for key, row in expected.items():
            assert exported[key].keys() == row.keys(), f"{name}: the fields"
            for field, value in row.items():
                written = exported_value(exported[key][field], value)
                assert written == value, f"{name} {key} {field}: {written!r} != {value!r}"


def check_manifest(export: Export) -> None:
    listed = {entry["name"]: entry for entry in export.manifest["files"]}
    assert listed.keys() == export.raw.keys()
    for name, data in export.raw.items():
        assert listed[name]["rows"] == len(export.files[name])
        assert listed[name]["bytes"] == len(data)
        assert listed[name]["sha256"] == hashlib.sha256(data).hexdigest()


async def test_a_workspace_export_is_every_row_of_every_entity(
    runtime: Runtime, db, shop: Shop, tmp_path: Path
) -> None:
    async with unit_of_work(runtime, SYSTEM) as uow:  # jobs: their tables have rows too
        await do_request_export(
            uow, shop.workspace_id, contact_id=shop.bruno, requested_by=None, label="t"
        )
        account_id = await uow.conn.fetchval(
            "SELECT min(id) FROM ig_accounts WHERE workspace_id = $1", shop.workspace_id
        )
        await do_queue_import(uow, account_id, "manual")
        await do_request_workspace_deletion(
            uow, shop.workspace_id, requested_by=None, confirm="shop", grace=timedelta(days=7)
        )
    export = await export_of(runtime, Scope(shop.workspace_id), tmp_path)
    await check_against_database(db, export, WORKSPACE_ROWS, shop.workspace_id)
    check_manifest(export)
    # Fully populated: every file has rows, and none of the other workspace's.
    assert all(export.files.values()), [n for n, rows in export.files.items() if not rows]
    assert CLARA.encode() not in b"".join(export.raw.values())
    assert b"clara-words" not in b"".join(export.raw.values())


async def test_the_manifest_says_what_when_and_by_whom(
    runtime: Runtime, shop: Shop, tmp_path: Path
) -> None:
    export = await export_of(runtime, Scope(shop.workspace_id, shop.alice), tmp_path)
    manifest = export.manifest
    assert manifest["format"] == "wazify-export" and manifest["format_version"] == 1
    assert manifest["kind"] == "contact" and manifest["contact_id"] == shop.alice
    assert manifest["workspace"] == {"id": shop.workspace_id, "slug": "shop", "name": "Shop"}
    assert manifest["exported_by"] == {"user_id": 7, "label": "admin@shop.test"}
    assert ISO_WITH_OFFSET.match(manifest["exported_at"])
    assert [entry["name"] for entry in manifest["files"]] == list(CONTACT_ROWS)


async def test_a_contact_export_is_that_person_and_nobody_else(
    runtime: Runtime, db, shop: Shop, tmp_path: Path
) -> None:
    export = await export_of(runtime, Scope(shop.workspace_id, shop.alice), tmp_path)
    await check_against_database(db, export, CONTACT_ROWS, shop.workspace_id, shop.alice)
    check_manifest(export)
    files = export.files
    bruno = (shop.workspace_id, shop.bruno)
    # Everything the brief names is there: fields, edits, referral and opt-in, attachment
    # URLs, reactions, assignment history and the audit entries naming her.
    assert files["contacts.jsonl"][0]["display_name"] == "Alice VIP"
    kinds = {row["kind"] for row in files["messages.jsonl"]}
    assert {"message", "referral", "optin", "postback"} <= kinds
    edited = [row for row in files["messages.jsonl"] if row["edit_count"]]
    assert edited and edited[0]["text"] == "hello again alice-words"
    urls = [a.get("url") for row in files["messages.jsonl"] for a in row["attachments"]]
    assert "https://cdn.example.test/alice-words.jpg" in str(urls)
    assert {row["reactor_kind"] for row in files["reactions.jsonl"]} == {"contact", "user"}
    assignments = [row["action"] for row in files["assignments.jsonl"]]
    assert assignments == [
        "conversation.assigned",
        "conversation.unassigned",
        "conversation.assigned",
    ]
    assert "contact.corrected" in {row["action"] for row in files["audit_entries.jsonl"]}
    # Nothing of Bruno, who wrote to the same account, nor of Clara elsewhere.
    everything = b"".join(export.raw.values())
    rows = await db.fetch(f"SELECT mid FROM messages WHERE id IN ({MESSAGES_OF})", *bruno)
    bruno_mids = [row["mid"] for row in rows if row["mid"]]
    for marker in (BRUNO, "bruno-words", "bruno-notes", CLARA, "clara-words", *bruno_mids):
        assert marker.encode() not in everything, marker
    assert ALICE.encode() in everything


@pytest.mark.parametrize("kind", ["workspace", "contact"])
async def test_no_secret_ever_leaves(
    runtime: Runtime, shop: Shop, tmp_path: Path, kind: str
) -> None:
    contact = shop.alice if kind == "contact" else None
    path = tmp_path / "export.zip"
    await write_export(
        runtime.engine.pool, Scope(shop.workspace_id, contact), path, by=Requester(None, "t")
    )
    export = read_export(path)
    texts = [path.read_bytes(), *export.raw.values(), json.dumps(export.manifest).encode()]
    for what, secret in shop.secrets.items():
        assert secret and len(secret) >= 16, what
        for text in texts:
            assert secret.encode() not in text, f"the {what} is in the export"
