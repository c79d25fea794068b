"""tui-crm: a keyboard-driven terminal CRM over 1C:Enterprise accounting."""

from __future__ import annotations

__version__ = "0.1.0"
