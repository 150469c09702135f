"""`wazify export`, run as an operator runs it (a subprocess configured by the environment):
it writes a valid export of the workspace or of one contact, audited, and every mistake is
one line on stderr with nothing written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.exports.conftest import ALICE, BRUNO, Shop, read_export
from tests.test_cli import Cli


@pytest.fixture
def cli(database_url: str, token_key: str, tmp_path: Path) -> Cli:
    folder = tmp_path / "cwd"
    folder.mkdir()
    return Cli(database_url, token_key, folder)


async def test_the_cli_writes_a_workspace_export(cli: Cli, db, shop: Shop, tmp_path: Path) -> None:
    target = tmp_path / "shop.zip"
    result = await cli("export", "--workspace", "shop", "-o", str(target))
    assert result.code == 0, result.stderr
    export = read_export(target)
    rows = sum(len(rows) for rows in export.files.values())
    assert result.stdout == f"wrote {target}: {rows} rows in {len(export.files)} files\n"
    assert "exporting:" in result.stderr
    assert export.manifest["kind"] == "workspace"
    assert export.manifest["exported_by"] == {"user_id": None, "label": "cli"}
    messages = await db.fetchval(
        "SELECT count(*) FROM messages WHERE workspace_id = $1", shop.workspace_id
    )
    assert len(export.files["messages.jsonl"]) == messages > 0
    entry = await db.fetchrow(
        "SELECT actor_label, target_type, target_id, after::text AS after FROM audit_entries"
        " WHERE action = 'export.written'"
    )
    assert (entry["actor_label"], entry["target_type"]) == ("cli", "workspace")
    assert str(target) in entry["after"]
    assert sorted(os.listdir(tmp_path)) == ["cwd", "shop.zip"]  # no leftovers


async def test_the_cli_writes_a_contact_export(cli: Cli, shop: Shop, tmp_path: Path) -> None:
    target = tmp_path / "alice.zip"
    args = ("export", "--workspace", "shop", "--contact", str(shop.alice), "-o", str(target))
    result = await cli(*args, "--quiet")
    assert (result.code, result.stderr) == (0, "")
    export = read_export(target)
    assert export.manifest["kind"] == "contact"
    assert [row["igsid"] for row in export.files["contacts.jsonl"]] == [ALICE]
    assert BRUNO.encode() not in b"".join(export.raw.values())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--workspace", "nope"), "no workspace with slug 'nope'"),
        (("--workspace", "other", "--contact", "{alice}"), "no contact {alice} in this workspace"),
        (("--workspace", "shop", "-o", "{missing}/x.zip"), "the folder {missing} does not exist"),
        (("--workspace", "shop", "-o", "{tmp}"), "it is a folder"),
    ],
)
async def test_a_mistake_is_one_line_and_writes_nothing(
    cli: Cli, shop: Shop, tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    values = {"alice": shop.alice, "missing": tmp_path / "missing", "tmp": tmp_path}
    args = tuple(arg.format(**values) for arg in args)
    if "-o" not in args:
        args = (*args, "-o", str(tmp_path / "out.zip"))
    result = await cli("export", *args)
    assert message.format(**values) in result.one_error_line("export")
    assert os.listdir(tmp_path) == ["cwd"]
