"""Finding Node for the client's tests (the web app's unit tests run on Node's own runner)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CLIENT = Path(__file__).resolve().parents[2] / "client"


def node_or_skip() -> str:
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        pytest.skip(
            "!!! web app unit tests SKIPPED: no `node` on PATH (apt-get install nodejs to run"
            " them; the reducer parity check needs it too)"
        )
    return node
