"""The demo's workspace: an admin, two teammates and a connected account (with its history
import queued), made through the actions (the write path), so the demo's data is what
production would hold."""

from __future__ import annotations

from dataclasses import dataclass

from wazify.actions.accounts import do_register_account
from wazify.actions.imports import do_queue_import
from wazify.actions.members import do_create_member
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.lib.passwords import hash_password_async
from wazify.runtime import Runtime

WORKSPACE = "demo"
PASSWORD = "wazify-demo-password"  # noqa: S105 (a throwaway database: printed on purpose)
TOKEN = "demo-access-token"  # noqa: S105 (the fake Graph API accepts it for the demo)
ACCOUNT_USERNAME = "linen.studio"
MEMBERS = (
    ("admin@demo.wazify.local", "Dana (admin)", "admin"),
    ("alex@demo.wazify.local", "Alex", "agent"),
    ("sam@demo.wazify.local", "Sam", "supervisor"),
)


@dataclass(frozen=True)
class DemoWorkspace:
    workspace_id: int
    account_id: int
    logins: tuple[tuple[str, str, str], ...]  # (email, name, role)


async def seed(runtime: Runtime, account_ig_id: str) -> DemoWorkspace:
    password_hash = await hash_password_async(PASSWORD)
    async with unit_of_work(runtime, Actor.system("demo")) as uow:
        workspace_id = await do_create_workspace(uow, WORKSPACE, "Linen Studio (demo)")
        for email, name, role in MEMBERS:
            await do_create_member(
                uow, workspace_id, email=email, role=role, name=name, password_hash=password_hash
            )
        account = await do_register_account(
            uow, workspace_id, ig_id=account_ig_id, username=ACCOUNT_USERNAME, token=TOKEN
        )
        # As connecting it would: its recent conversations come in from the Conversations
        # API (the fake serves wazify.demo.history).
        await do_queue_import(uow, account.id, "connect")
    return DemoWorkspace(workspace_id, account.id, MEMBERS)
