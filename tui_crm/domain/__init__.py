"""domain layer of tui-crm (see DESIGN.md §2)."""
