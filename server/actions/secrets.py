"""Stored secrets and their rotation to the newest token key.

Every encrypted column is listed in SECRET_COLUMNS with the context its ciphertexts are
bound to, so `wazify keys rotate` re-encrypts all of them and nothing is forgotten.
"""

from __future__ import annotations

from typing import NamedTuple

from piccolo.columns import Column

from wazify.actions.uow import UnitOfWork
from wazify.db.tables import IgAccount
from wazify.lib.crypto import DecryptionError
from wazify.lib.errors import Conflict


class SecretColumn(NamedTuple):
    table: str
    column: str
    context_prefix: str  # ciphertexts are bound to f"{prefix}:{row id}"

    @property
    def piccolo(self) -> Column:
        return _COLUMNS[(self.table, self.column)]


_COLUMNS: dict[tuple[str, str], Column] = {
    ("ig_accounts", "access_token_enc"): IgAccount.access_token_enc,
}
ACCESS_TOKEN = SecretColumn("ig_accounts", "access_token_enc", "ig_account")
SECRET_COLUMNS = (ACCESS_TOKEN,)


def secret_context(column: SecretColumn, row_id: int) -> str:
    return f"{column.context_prefix}:{row_id}"


async def do_rotate_secrets(uow: UnitOfWork) -> tuple[int, int]:
    """Re-encrypt every secret not made by the newest key. Returns (rotated, total)."""
    cipher = uow.runtime.cipher
    rotated = total = 0
    for column in SECRET_COLUMNS:
        secret = column.piccolo
        table = secret._meta.table
        rows = (
            await table.select(
                table.id, table.workspace.as_alias("workspace_id"), secret.as_alias("secret")
            )
            .where(secret.is_not_null())
            .order_by(table.id)
            .lock_rows("UPDATE")
        )
        for row in rows:
            total += 1
            if not cipher.needs_rotation(row["secret"]):
                continue
            try:
                fresh = cipher.rotate(row["secret"], secret_context(column, row["id"]))
            except DecryptionError as error:
                # Nothing is re-encrypted: raising rolls the whole unit back.
                raise Conflict(
                    f"{column.table} {row['id']}: {error}; nothing was re-encrypted"
                ) from None
            await table.update({secret: fresh}).where(table.id == row["id"])
            uow.audit(
                "secret.rotated",
                row["workspace_id"],
                column.table,
                row["id"],
                after={"key_id": cipher.current_key_id},
            )
            rotated += 1
    return rotated, total
