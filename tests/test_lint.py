"""The code stays ruff clean (configuration in pyproject.toml)."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_check_is_clean() -> None:
    ruff = shutil.which("ruff")
    if ruff is None:
        pytest.skip("!!! ruff is not installed (pip install '.[test]' brings it)")
    folders = [
        name for name in ("server", "db", "tests", "bench", "setup.py") if (ROOT / name).exists()
    ]
    result = subprocess.run(
        [ruff, "check", "--no-cache", *folders], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
