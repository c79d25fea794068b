"""A corpus of hostile text, as an accountant (or an attacker with a 1C login) can type it.

Why one list: the sandbox's `--hostile` seed serves these strings as names, codes, ИНН,
comments and error messages, and the CRM's corpus tests put the same strings into every screen.
Each entry is text 1C itself accepts in a string attribute; the CRM must show it literally (as
plain text, control characters made visible or removed) and never crash, wedge or run it.
"""

from __future__ import annotations

from typing import Final

#: (label, text). Labels name the hazard, so a failing test says which one broke.
CORPUS: Final[tuple[tuple[str, str], ...]] = (
    ("markup-close", "Склад [/]"),
    ("markup-click", "[@click=app.quit]Нажми[/] меня"),
    ("markup-link", "[link=https://evil.example]ссылка[/link]"),
    ("markup-style", "[b red on white]жирный[/] [i]курсив"),
    ("markup-variable", "$variable [$accent]цвет[/]"),
    ("ansi-clear", "Товар \x1b[2J\x1b[H очистил экран"),
    ("ansi-color", "\x1b[31mКРАСНЫЙ\x1b[0m текст"),
    ("osc52-clipboard", "\x1b]52;c;SGVsbG8=\x07Сок"),
    ("osc8-hyperlink", "\x1b]8;;http://x\x1b\\ссылка\x1b]8;;\x1b\\"),
    ("carriage-return", "Первая строка\rвторая"),
    ("crlf", "Строка 1\r\nСтрока 2"),
    ("vertical-tab", "Верт\x0bтаб"),
    ("nul", "Ноль\x00байт"),
    ("bell", "Звонок\x07"),
    ("bidi-override", "Счёт \u202eтекст наоборот\u202c конец"),
    ("bidi-isolate", "\u2067اسم\u2069 ООО"),
    ("combining", "Е\u0308лка и\u0306 Z\u0351\u0352\u0353algo"),
    ("emoji", "🍏 Яблоки 👨‍👩‍👧 семья 🇷🇺"),
    ("zero-width", "Ра\u200bз\u200dде\ufeffл"),
    ("tab", "Табуляция\tвнутри"),
    ("quotes", "ООО \"Кавычки\" 'одинарные' «ёлочки» `бэктик`"),
    ("odata-filter", "' or 1 eq 1 or Description eq '"),
    ("sql", "'; DROP TABLE clients; --"),
    ("percent", "100% %s %d {0} {name}"),
    ("backslash", "C:\\путь\\[/]\\n"),
    ("long", "Очень длинное наименование " + "я" * 10_000),
    ("long-word", "Ы" * 4_100),
    ("only-spaces", "   "),
    ("rtl-digits", "ИНН ١٢٣٤٥٦٧٨٩٠"),
    ("fullwidth-digits", "Телефон ８９１２３４５６７８"),
)

#: Just the texts, in corpus order.
TEXTS: Final[tuple[str, ...]] = tuple(text for _label, text in CORPUS)


def text(label: str) -> str:
    """The corpus entry named `label` (KeyError for an unknown label)."""
    for name, value in CORPUS:
        if name == label:
            return value
    raise KeyError(label)


def cycle(i: int) -> str:
    """The i-th corpus text, wrapping around: deterministic fill for seeds and tests."""
    return TEXTS[i % len(TEXTS)]
