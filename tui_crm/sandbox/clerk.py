"""The accounting clerk's actions over OData (filled in phase 2)."""

from __future__ import annotations

import argparse
import sys


def run(args: argparse.Namespace) -> int:
    print(f"tui-crm sandbox {args.sandbox_cmd}: not implemented yet", file=sys.stderr)
    return 2
