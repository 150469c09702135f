"""`wazify keys ...`: token keys for secrets at rest (generate, add, rotate)."""

from __future__ import annotations

import argparse

from wazify.actions.secrets import do_rotate_secrets
from wazify.actions.uow import unit_of_work
from wazify.cli.common import CLI_ACTOR, CliError, run_with_runtime
from wazify.embedded import add_embedded_token_key
from wazify.lib.crypto import generate_key, key_id
from wazify.runtime import Runtime
from wazify.settings import load_settings


def register(verbs: argparse._SubParsersAction) -> None:
    keys = verbs.add_parser("keys", help="token keys that encrypt stored secrets")
    kverbs = keys.add_subparsers(dest="action", required=True, metavar="ACTION")
    kverbs.add_parser(
        "generate", help="print a new key for WAZIFY_TOKEN_KEYS (put it first)"
    ).set_defaults(run=keys_generate)
    kverbs.add_parser(
        "add", help="embedded mode: generate a new newest key into the data directory"
    ).set_defaults(run=keys_add)
    kverbs.add_parser(
        "rotate", help="re-encrypt every stored secret under the newest key"
    ).set_defaults(run=keys_rotate)


def keys_generate(args: argparse.Namespace) -> None:
    print(generate_key())


def keys_add(args: argparse.Namespace) -> None:
    settings = load_settings()
    if settings.token_keys:
        raise CliError(
            "WAZIFY_TOKEN_KEYS is set: add the new key there (newest first), restart the"
            " servers, then run `wazify keys rotate`"
        )
    key = add_embedded_token_key(settings.data_dir)
    print(
        f"added key {key_id(key)} to {settings.data_dir}; restart the server, then run"
        " `wazify keys rotate`"
    )


def keys_rotate(args: argparse.Namespace) -> None:
    async def work(runtime: Runtime) -> None:
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            rotated, total = await do_rotate_secrets(uow)
        print(
            f"re-encrypted {rotated} of {total} stored secrets under key"
            f" {runtime.cipher.current_key_id}"
        )

    run_with_runtime(work)
