"""`python -m ytvault`: the same entry point as the `ytvault` command."""

import sys

from ytvault.commands.cli import main

sys.exit(main())
