"""A small coloured badge widget: lock, sync state, paid and shipped state.

Colours come from theme variables through CSS classes (`-ok`, `-warn`, `-error`, `-info`,
`-muted`), and the text always names the state, so nothing relies on colour alone.
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

VARIANTS = ("-ok", "-warn", "-error", "-info", "-muted")


class Badge(Static):
    """One-line label like `🔒 Posted` or `Partially paid`, styled by its variant."""

    DEFAULT_CSS = """
    Badge {
        width: auto;
        height: 1;
        padding: 0 1;
        margin: 0 1 0 0;
        text-style: bold;
        background: $panel;
        color: $text;
    }
    Badge.-ok { background: $success-muted; color: $text-success; }
    Badge.-warn { background: $warning-muted; color: $text-warning; }
    Badge.-error { background: $error-muted; color: $text-error; }
    Badge.-info { background: $primary-muted; color: $text-primary; }
    Badge.-muted { background: $panel; color: $text-muted; text-style: none; }
    Badge.-hidden { display: none; }
    """

    def __init__(self, text: str = "", variant: str = "-muted", **kwargs: object) -> None:
        super().__init__(Text(text), **kwargs)  # type: ignore[arg-type]
        self.add_class(variant)
        if not text:
            self.add_class("-hidden")

    def show(self, text: str, variant: str = "-muted") -> None:
        """Set text and variant; an empty text hides the badge."""
        self.update(Text(text))
        self.remove_class(*VARIANTS)
        self.add_class(variant)
        self.set_class(not text, "-hidden")
