"""Where a workspace's files live under the data folder (exports, ...).

Everything a workspace writes to disk goes under `data_dir/<kind>/<workspace id>/`, one of
the kinds below, so deleting the workspace deletes its files too (actions.purge): a file
written elsewhere would outlive it. Add a kind here before writing a new one.
"""

from __future__ import annotations

from pathlib import Path

KINDS = ("exports",)


def workspace_folder(data_dir: Path, kind: str, workspace_id: int) -> Path:
    if kind not in KINDS:
        raise ValueError(f"unknown kind of workspace files {kind!r}: add it to KINDS")
    return data_dir / kind / str(workspace_id)


def workspace_folders(data_dir: Path, workspace_id: int) -> list[Path]:
    return [workspace_folder(data_dir, kind, workspace_id) for kind in KINDS]
