"""Auto-assignment under a burst of 500 new conversations across two server processes.

    WAZIFY_TEST_DATABASE_URL=... WAZIFY_TEST_REDIS_URL=... python bench/assignment_burst.py [N]

Runs tests/assignment/test_burst.py (wazify serve --workers 2, signed webhooks over about
five seconds, members going offline and online, conversations resolved meanwhile) with a
burst of N (default 500) instead of the test's smaller one, and prints its timings. The
invariants are the test's: checked from the event log.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    size = sys.argv[1] if len(sys.argv) > 1 else "500"
    env = {**os.environ, "WAZIFY_BURST": size}
    command = [sys.executable, "-m", "pytest", "tests/assignment/test_burst.py", "-q", "-s"]
    return subprocess.run(command, cwd=ROOT, env=env, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
