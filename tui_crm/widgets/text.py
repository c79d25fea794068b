"""The one rule for text from accounting or from a user: shown as plain text, never as markup,
and never as terminal control.

A name typed in 1C reaches every operator's screen. Rich/Textual markup is never applied to it
(`Text`, `markup=False`), and `clean()` takes away what a terminal would act on: ANSI/OSC escape
sequences (colours, cursor moves, OSC 52 clipboard writes, hyperlinks) are removed, other control
characters are shown as their visible Unicode "control pictures" (␍ for a carriage return), and
bidirectional overrides, which would reorder the rest of the line, are removed. Everything else —
Cyrillic, emoji, combining marks, square brackets, very long strings — is kept as it is.
"""

from __future__ import annotations

import re

from rich.text import Text

# ESC [ … final byte (CSI), ESC ] … BEL or ESC \ (OSC), ESC P/X/^/_ … ESC \ (DCS, SOS, PM, APC),
# and any other two-byte ESC sequence; also the 8-bit CSI/OSC introducers.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b[@-Z\\-_]?"
    r"|\x9b[0-?]*[ -/]*[@-~]"
    r"|\x9d[^\x07\x9c]*[\x07\x9c]?"
)
_BIDI = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])


def _visible(char: str) -> str:
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟
    if code == 0x7F:
        return "␡"
    return "�"  # C1 controls (0x80–0x9F): no picture of their own


_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(value: object, *, one_line: bool = True) -> str:
    """`value` as text safe to put on a terminal (see the module docstring). With
    `one_line=False`, line feeds and tabs are kept (multi-line error texts)."""
    text = "" if value is None else str(value)
    text = _ESCAPES.sub("", text).translate(_BIDI)
    if one_line:
        return _CONTROLS.sub(lambda m: _visible(m.group()), text)
    text = text.replace("\r\n", "\n")
    return _CONTROLS.sub(lambda m: m.group() if m.group() in "\n\t" else _visible(m.group()), text)


def plain(value: object, style: str = "", *, justify: str | None = None, one_line: bool = True) -> Text:
    """A `Text` of accounting's or a user's `value`: plain, cleaned, never parsed as markup."""
    return Text(clean(value, one_line=one_line), style=style, justify=justify)  # type: ignore[arg-type]


def markup_literal(value: object) -> str:
    """`clean(value)` as Textual markup that shows it literally, for the few Textual APIs that
    take nothing but markup (a command palette hit's help text). Textual's own `escape()` doubles
    a backslash before a bracket, which its parser then shows twice (`C:\\[/]` → `C:\\\\[/]`); a
    backslash before each `[` is what the parser reads as a literal bracket."""
    return clean(value).replace("[", "\\[")


def short(value: object, limit: int = 200) -> str:
    """`clean(value)` cut to `limit` characters with an ellipsis: for widgets that wrap every
    line they are given (palette hits), so a 10 000-character name stays a line or two."""
    text = clean(value)
    return text if len(text) <= limit else text[:limit - 1] + "…"
