"""Workspaces: created with their event counter, so the write path can number events."""

from __future__ import annotations

import re

import asyncpg

from wazify.actions.uow import UnitOfWork
from wazify.lib.errors import Conflict, Invalid

SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


def check_slug(slug: str) -> str:
    if not SLUG.match(slug):
        raise Invalid(
            f"workspace slug {slug!r} must be 1 to 63 lowercase letters, digits or dashes,"
            " starting with a letter or digit",
            field="slug",
        )
    return slug


async def do_create_workspace(uow: UnitOfWork, slug: str, name: str = "") -> int:
    check_slug(slug)
    try:
        async with uow.conn.transaction():  # a savepoint: a duplicate must not poison the unit
            workspace_id: int = await uow.conn.fetchval(
                "INSERT INTO workspaces (slug, name) VALUES ($1, $2) RETURNING id",
                slug,
                name or slug,
            )
    except asyncpg.UniqueViolationError:
        raise Conflict(f"a workspace with slug {slug!r} already exists", field="slug") from None
    await uow.conn.execute(
        "INSERT INTO workspace_counters (workspace_id, last_seq) VALUES ($1, 0)", workspace_id
    )
    uow.audit("workspace.created", workspace_id, "workspace", workspace_id, after={"slug": slug})
    return workspace_id
