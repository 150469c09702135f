"""`python -m wazify.cli ...`: the same command as the `wazify` script."""

import sys

from wazify.cli import main

sys.exit(main())
