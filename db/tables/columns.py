"""How the tables write the schema's two recurring shapes: a timestamp defaulting to now(),
and a foreign key.

Both exist because Piccolo's defaults differ from the schema's in ways a schema dump shows:
Piccolo's TimestamptzNow renders CURRENT_TIMESTAMP (the same value as now(), spelled
differently, which would set databases created from here apart from the ones the SQL
migrations created), and its ForeignKey is nullable with ON UPDATE CASCADE, where every
reference here is NOT NULL unless said and, ids never changing, ON UPDATE NO ACTION.
"""

from __future__ import annotations

from typing import Any

from piccolo.columns import ForeignKey
from piccolo.columns.base import OnDelete, OnUpdate
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Now(TimestamptzNow):
    """The database's now() at insert time (the Python side is Piccolo's UTC now)."""

    @property
    def postgres(self) -> str:
        return "now()"


def reference(
    table: type[Table],
    column: str,
    *,
    null: bool = False,
    on_delete: OnDelete = OnDelete.cascade,
    **options: Any,
) -> ForeignKey:
    """A foreign key to `table`'s primary key, stored in `column`."""
    return ForeignKey(
        table,
        null=null,
        on_delete=on_delete,
        on_update=OnUpdate.no_action,
        db_column_name=column,
        **options,
    )
