"""`python -m tui_crm`: the same as the `tui-crm` command (`tui-crm serve` starts a tab this way)."""

from __future__ import annotations

import os
import sys

from tui_crm.cli import main

if __name__ == "__main__":  # importing the package's modules (tests/test_layers.py) runs nothing
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    sys.exit(main())
