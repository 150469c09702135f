"""The export format's promises that need no database: every table has a decision (a file
or a stated reason), no secret column is ever selected, and docs/export.md describes every
file of both kinds of export."""

from __future__ import annotations

from pathlib import Path

from wazify.db.tables import ALL_TABLES
from wazify.exports.entities import (
    CONTACT_ENTITIES,
    FORMAT_VERSION,
    OTHER_TABLES,
    WORKSPACE_ENTITIES,
    table_columns,
)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "export.md"
SECRET_COLUMNS = {
    (table._meta.tablename, column._meta.db_column_name)
    for table in ALL_TABLES
    for column in table._meta.columns
    if column._meta.secret
}


def test_every_table_is_exported_or_says_why_not() -> None:
    exported = {table._meta.tablename for e in WORKSPACE_ENTITIES for table in e.tables}
    every = {table._meta.tablename for table in ALL_TABLES}
    assert exported.isdisjoint(OTHER_TABLES)
    assert exported | set(OTHER_TABLES) == every, "a table with no decision: export it or say why"


def test_the_secret_columns_are_known_and_never_selected() -> None:
    assert {
        ("users", "password_hash"),
        ("sessions", "id_hash"),
        ("sessions", "csrf_token"),
        ("api_tokens", "token_hash"),
        ("invitations", "token_hash"),
        ("ig_accounts", "access_token_enc"),
        ("oauth_states", "state_hash"),
    } <= SECRET_COLUMNS
    secret_names = {name for _, name in SECRET_COLUMNS}
    for entity in WORKSPACE_ENTITIES + CONTACT_ENTITIES:
        for key, expression in entity.columns:
            assert key not in secret_names, (entity.file, key)
            assert not any(f'"{name}"' in expression for name in secret_names), entity.file


def test_a_column_added_to_a_table_is_exported_unless_secret() -> None:
    from piccolo.columns import Text
    from piccolo.table import Table

    class Sample(Table, tablename="sample"):
        visible = Text()
        hidden = Text(secret=True)
        skipped = Text()

    names = [name for name, _ in table_columns(Sample, omit=("skipped",))]
    assert names == ["id", "visible"]


def test_the_documentation_describes_every_file() -> None:
    text = DOCS.read_text()
    assert f"format_version` is {FORMAT_VERSION}" in text
    for entity in WORKSPACE_ENTITIES + CONTACT_ENTITIES:
        assert f"`{entity.file}`" in text, entity.file
    for table in OTHER_TABLES:
        assert f"`{table}`" in text, table
