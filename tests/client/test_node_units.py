"""Runs the web app's unit tests (client/tests/*.test.js) with Node's built-in test runner,
so the README's single test command covers them too."""

from __future__ import annotations

import subprocess

from tests.client.node import CLIENT, node_or_skip


def test_client_unit_tests_pass() -> None:
    node = node_or_skip()
    result = subprocess.run(
        [node, "--test", "tests/"],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    summary = [line for line in result.stdout.splitlines() if line.startswith("# ")]
    assert result.returncode == 0, (
        "node --test client/tests/ failed:\n" + result.stdout[-8000:] + result.stderr[-4000:]
    )
    assert any(line.startswith("# pass ") and line != "# pass 0" for line in summary), summary
