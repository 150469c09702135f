"""The `wazify` command. Each verb lives in a module of this package; this one parses the
command line and turns every expected failure into one clear line on stderr."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from wazify.cli import (
    admin,
    demo,
    export,
    instagram,
    keys,
    metrics,
    privacy,
    serve,
    webhooks,
    worker,
)
from wazify.cli.common import CliError
from wazify.lib.errors import AppError
from wazify.settings import SettingsError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wazify",
        description="Wazify: a real-time collaborative inbox for Instagram Business DMs.",
        epilog="Settings come from the environment (or a .env file); see the README.",
    )
    verbs = parser.add_subparsers(dest="verb", required=True, metavar="COMMAND")
    serve.register(verbs)
    demo.register(verbs)
    admin.register(verbs)
    keys.register(verbs)
    instagram.register(verbs)
    webhooks.register(verbs)
    worker.register(verbs)
    export.register(verbs)
    privacy.register(verbs)
    metrics.register(verbs)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args) or 0)
    except (CliError, SettingsError, AppError) as error:
        message = getattr(error, "message", None) or str(error)
        print(f"wazify {args.verb}: {message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
