"""`python -m onec_sandbox …`: the same commands as `tui-crm sandbox …`."""

import sys

from onec_sandbox.cli import main

sys.exit(main(prog="python -m onec_sandbox"))
