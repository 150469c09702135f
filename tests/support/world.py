"""Workspaces, members and sessions made through the actions (the write path), for tests."""

from __future__ import annotations

from dataclasses import dataclass, field

from tests.support.http import CLIENT_ADDR
from wazify.actions.auth import do_login_succeeded
from wazify.actions.members import do_create_member
from wazify.actions.uow import Actor, unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.auth.sessions import SESSION_COOKIE
from wazify.runtime import Runtime

PASSWORD = "correct horse battery staple"
SYSTEM = Actor.system("test")


@dataclass
class Member:
    user_id: int
    email: str
    role: str
    workspace_id: int
    session_id: str = field(default="", repr=False)
    csrf: str = field(default="", repr=False)

    @property
    def headers(self) -> dict[str, str]:
        """Cookie and CSRF header of an open session, as the web app sends them."""
        return {"Cookie": f"{SESSION_COOKIE}={self.session_id}", "X-CSRF-Token": self.csrf}

    @property
    def cookie_only(self) -> dict[str, str]:
        return {"Cookie": f"{SESSION_COOKIE}={self.session_id}"}


@dataclass
class World:
    """Builds workspaces and members through the actions (one password hash per run:
    Argon2 costs a tenth of a second and tests make hundreds of members)."""

    runtime: Runtime
    password_hash: str

    async def workspace(self, slug: str) -> int:
        async with unit_of_work(self.runtime, SYSTEM) as uow:
            return await do_create_workspace(uow, slug, slug.title())

    async def member(
        self, workspace_id: int, email: str, role: str = "agent", *, session: bool = True
    ) -> Member:
        async with unit_of_work(self.runtime, SYSTEM) as uow:
            view = await do_create_member(
                uow,
                workspace_id,
                email=email,
                role=role,
                name=email.split("@")[0],
                password_hash=self.password_hash,
                # A test may put one person in several workspaces, as the operator may.
                existing="attach",
            )
        member = Member(view.user_id, view.email, role, workspace_id)
        if session:
            await self.open_session(member)
        return member

    async def open_session(self, member: Member) -> Member:
        actor = Actor(user_id=member.user_id, label=member.email, client_addr=CLIENT_ADDR)
        async with unit_of_work(self.runtime, actor) as uow:
            new = await do_login_succeeded(
                uow,
                user_id=member.user_id,
                workspace_id=member.workspace_id,
                email=member.email,
                user_agent="tests",
            )
        member.session_id, member.csrf = new.session_id, new.csrf_token
        return member
