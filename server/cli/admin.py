"""`wazify workspace ...` and `wazify user ...`: manage workspaces and members from a shell."""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys

from piccolo.query.functions.aggregate import Count

from wazify.actions.auth import do_reset_password
from wazify.actions.members import (
    check_role,
    do_create_member,
    do_deactivate_member,
    do_set_role,
    normalize_email,
)
from wazify.actions.uow import unit_of_work
from wazify.actions.workspaces import do_create_workspace
from wazify.cli.common import CLI_ACTOR, CliError, run_with_runtime
from wazify.db.tables import Membership, User, Workspace
from wazify.lib.errors import NotFound
from wazify.lib.passwords import WeakPassword, check_password_strength, hash_password_async
from wazify.runtime import Runtime

ROLE_HELP = "admin (members, roles, connections), supervisor (reassigns, audit) or agent"


def register(verbs: argparse._SubParsersAction) -> None:
    workspace = verbs.add_parser("workspace", help="create or list workspaces")
    wverbs = workspace.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = wverbs.add_parser("create", help="create a workspace")
    create.add_argument("--slug", required=True, help="short unique name, e.g. acme-support")
    create.add_argument("--name", default="", help="display name (defaults to the slug)")
    create.set_defaults(run=workspace_create)
    wverbs.add_parser("list", help="list workspaces").set_defaults(run=workspace_list)

    user = verbs.add_parser("user", help="create, list, change or deactivate members")
    uverbs = user.add_subparsers(dest="action", required=True, metavar="ACTION")
    create = uverbs.add_parser(
        "create",
        help="add a member; the password is read from stdin when piped, prompted on a terminal,"
        " or generated with --generate-password",
    )
    _member_args(create)
    create.add_argument("--role", required=True, help=ROLE_HELP)
    create.add_argument("--name", default="", help="the person's display name")
    _password_args(create)
    create.set_defaults(run=user_create)
    reset = uverbs.add_parser(
        "reset-password",
        help="give a member a new password and end all their sessions; the password is read"
        " as for `user create`",
    )
    _member_args(reset)
    _password_args(reset)
    reset.set_defaults(run=user_reset_password)
    listing = uverbs.add_parser("list", help="list a workspace's members")
    listing.add_argument("--workspace", required=True, metavar="SLUG")
    listing.set_defaults(run=user_list)
    set_role = uverbs.add_parser("set-role", help="change a member's role")
    _member_args(set_role)
    set_role.add_argument("--role", required=True, help=ROLE_HELP)
    set_role.set_defaults(run=user_set_role)
    deactivate = uverbs.add_parser(
        "deactivate", help="deactivate a member (ends their sessions and API tokens)"
    )
    _member_args(deactivate)
    deactivate.set_defaults(run=user_deactivate)


def _password_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--generate-password", action="store_true", help="generate a password and print it once"
    )


def _member_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--workspace", required=True, metavar="SLUG")
    parser.add_argument("--email", required=True)


async def workspace_id_for(runtime: Runtime, slug: str) -> int:
    row = await Workspace.select(Workspace.id).where(Workspace.slug == slug).first()
    if row is None:
        raise NotFound(f"no workspace with slug {slug!r} (see `wazify workspace list`)")
    return row["id"]


async def user_id_for(runtime: Runtime, workspace_id: int, email: str) -> int:
    row = (
        await Membership.select(Membership.user.as_alias("user_id"))
        .where(
            (Membership.user.email == normalize_email(email))
            & (Membership.workspace == workspace_id)
        )
        .first()
    )
    if row is None:
        raise NotFound(f"{email} is not a member of this workspace")
    return row["user_id"]


def workspace_create(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            await do_create_workspace(uow, args.slug, args.name)
        print(f"created workspace {args.slug}")

    run_with_runtime(work)


def workspace_list(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        active = (
            await Membership.select(
                Membership.workspace.as_alias("workspace_id"), Count(alias="members")
            )
            .where(Membership.active.eq(True))
            .group_by(Membership.workspace)
        )
        members = {row["workspace_id"]: row["members"] for row in active}
        rows = await Workspace.select(Workspace.id, Workspace.slug, Workspace.name).order_by(
            Workspace.slug
        )
        for row in rows:
            count = members.get(row["id"], 0)
            print(f"{row['slug']}\t{row['name']}\t{count} active members")

    run_with_runtime(work)


def read_password(generate: bool) -> tuple[str, bool]:
    """(password, generated): generated, piped on stdin, or typed twice at a prompt."""
    if generate:
        return secrets.token_urlsafe(15), True
    if not sys.stdin.isatty():
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
        if getpass.getpass("Repeat password: ") != password:
            raise CliError("the two passwords differ")
    if not password:
        raise CliError("no password given (pipe one on stdin, or use --generate-password)")
    try:
        check_password_strength(password)
    except WeakPassword as error:
        raise CliError(str(error)) from None
    return password, False


def user_create(args: argparse.Namespace) -> None:
    """Unlike the API, the operator may add an account that already exists (in another
    workspace) without its holder's acceptance: the output says so, and the account keeps
    its own name and password."""
    check_role(args.role)
    email = normalize_email(args.email)
    password, generated = read_password(args.generate_password)

    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace)
        existing = await User.exists().where(User.email == email)
        password_hash = None if existing else await hash_password_async(password)
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            member = await do_create_member(
                uow,
                workspace_id,
                email=email,
                role=args.role,
                name=args.name,
                password_hash=password_hash,
                existing="attach",
            )
        if existing:
            print(
                f"{member.email} already had an account: added it to {args.workspace} as"
                f" {member.role}; its name and password are unchanged (the password given"
                " was not used)"
            )
            return
        print(f"created {member.email} as {member.role} in {args.workspace}")
        if generated:
            print(f"password (shown once): {password}")

    run_with_runtime(work)


def user_reset_password(args: argparse.Namespace) -> None:
    """For a person who forgot their password (or whose password leaked): it is replaced
    and every session of theirs ends, in every workspace. Audited in this workspace."""
    password, generated = read_password(args.generate_password)

    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace)
        user_id = await user_id_for(runtime, workspace_id, args.email)
        password_hash = await hash_password_async(password)
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            ended = await do_reset_password(uow, workspace_id, user_id, password_hash)
        email = normalize_email(args.email)
        print(f"new password set for {email}; {ended} session(s) ended")
        if generated:
            print(f"password (shown once): {password}")

    run_with_runtime(work)


def user_list(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace)
        rows = (
            await Membership.select(
                Membership.user.email.as_alias("email"),
                Membership.user.name.as_alias("name"),
                Membership.role,
                Membership.active,
            )
            .where(Membership.workspace == workspace_id)
            .order_by(Membership.user.email)
        )
        for row in rows:
            state = "active" if row["active"] else "deactivated"
            print(f"{row['email']}\t{row['role']}\t{state}\t{row['name']}")

    run_with_runtime(work)


def user_set_role(args: argparse.Namespace) -> None:
    check_role(args.role)

    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace)
        user_id = await user_id_for(runtime, workspace_id, args.email)
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            member = await do_set_role(uow, workspace_id, user_id, args.role)
        print(f"{member.email} is now {member.role} in {args.workspace}")

    run_with_runtime(work)


def user_deactivate(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace)
        user_id = await user_id_for(runtime, workspace_id, args.email)
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            member = await do_deactivate_member(uow, workspace_id, user_id)
        print(f"deactivated {member.email} in {args.workspace}; their sessions and tokens ended")

    run_with_runtime(work)
