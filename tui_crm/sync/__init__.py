"""sync layer of tui-crm (see docs/architecture.md §2)."""
