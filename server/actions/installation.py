"""First start: a workspace and an admin, created once, with the login printed once."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from wazify.actions.members import do_create_member
from wazify.actions.uow import UnitOfWork
from wazify.actions.workspaces import do_create_workspace
from wazify.db.tables import Workspace
from wazify.db.transactions import advisory_xact_lock
from wazify.lib.passwords import hash_password_async

FIRST_WORKSPACE = "main"
FIRST_ADMIN_EMAIL = "admin@wazify.local"
# Replicas starting together take turns on this lock, so exactly one creates the admin.
FIRST_START_LOCK_ID = 7_302_941_119


@dataclass(frozen=True)
class FirstAdmin:
    workspace_slug: str
    email: str
    password: str


async def do_first_start(uow: UnitOfWork) -> FirstAdmin | None:
    """Create the first workspace and admin when the installation has no workspace yet;
    None on every later start (so nothing secret is ever printed twice)."""
    await advisory_xact_lock(uow.conn, FIRST_START_LOCK_ID)
    if await Workspace.exists():
        return None
    password = secrets.token_urlsafe(15)
    workspace_id = await do_create_workspace(uow, FIRST_WORKSPACE, "My workspace")
    await do_create_member(
        uow,
        workspace_id,
        email=FIRST_ADMIN_EMAIL,
        role="admin",
        name="Administrator",
        password_hash=await hash_password_async(password),
    )
    return FirstAdmin(FIRST_WORKSPACE, FIRST_ADMIN_EMAIL, password)
