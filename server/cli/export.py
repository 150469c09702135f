"""`wazify export --workspace SLUG [--contact ID] -o FILE`: a data export, written here.

The same exporter as the app's export jobs (exports/exporter.py), run in this process with
no job, no link and no expiry: the file is the operator's to keep. It is written beside FILE
under a temporary name and renamed when complete, so a failure leaves no partial file and
an existing FILE is replaced only by a complete export. Audited as `export.written`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path

from wazify.actions.exports import do_record_written
from wazify.actions.uow import unit_of_work
from wazify.cli.admin import workspace_id_for
from wazify.cli.common import CLI_ACTOR, CliError, run_with_runtime
from wazify.exports.exporter import Requester, Scope, write_export
from wazify.runtime import Runtime


def register(verbs: argparse._SubParsersAction) -> None:
    export = verbs.add_parser(
        "export",
        help="export a workspace, or one contact of it, to a zip (docs/export.md)",
        description="Write every table the workspace owns (or everything about one contact)"
        " as JSON Lines in a zip with a manifest. No secret is ever in it.",
    )
    export.add_argument("--workspace", required=True, metavar="SLUG")
    export.add_argument(
        "--contact", type=int, metavar="ID", help="only this contact (its id in the app)"
    )
    export.add_argument("-o", "--output", required=True, metavar="FILE", help="the zip to write")
    export.add_argument("--quiet", action="store_true", help="no progress on stderr")
    export.set_defaults(run=export_command)


def _target(output: str) -> Path:
    path = Path(output).expanduser()
    if not path.parent.is_dir():
        raise CliError(f"cannot write {output}: the folder {path.parent} does not exist")
    if path.is_dir():
        raise CliError(f"cannot write {output}: it is a folder; name the zip file to write")
    return path


class _Progress:
    """A line on stderr, at most twice a second."""

    def __init__(self, quiet: bool) -> None:
        self.quiet = quiet
        self.shown = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if self.quiet or (now - self.shown < 0.5 and done < total):
            return
        self.shown = now
        print(f"\rexporting: {done} of {total} rows", end="", file=sys.stderr, flush=True)


def export_command(args: argparse.Namespace) -> None:
    target = _target(args.output)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    os.close(handle)

    async def work(runtime: Runtime) -> None:
        workspace_id = await workspace_id_for(runtime, args.workspace)
        scope = Scope(workspace_id, args.contact)
        manifest = await write_export(
            runtime.engine.pool,
            scope,
            Path(temporary),
            by=Requester(None, CLI_ACTOR.label),
            progress=_Progress(args.quiet),
        )
        os.replace(temporary, target)
        if not args.quiet:
            print(file=sys.stderr)
        rows = sum(entry["rows"] for entry in manifest["files"])
        async with unit_of_work(runtime, CLI_ACTOR) as uow:
            do_record_written(uow, scope, str(target.resolve()), rows)
        print(f"wrote {target}: {rows} rows in {len(manifest['files'])} files")

    try:
        run_with_runtime(work)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
