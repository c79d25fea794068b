"""One rule for text (issue 9), checked statically where a pattern can be: data reaches a widget
through `widgets/text.py` (`plain()`, `clean()`, `markup_literal()`), never glued into a string
a widget would parse as markup or send to the terminal as it is.

The hostile corpus test (tests/screens/test_hostile_corpus.py) checks the screens at run time;
these checks catch the shapes of code that broke there before a screen shows them:

* an f-string, `.format()` or `+` as the content of a `Label`/`Static`/`Button`/`Hit`/… or of
  `.update(...)` (a `str` there is markup: `[/]` in a name ends the app);
* `Select` options not built with `plain(...)` (their prompts are markup too);
* Textual's or Rich's `escape()` (Textual's doubles a backslash before a bracket, which its own
  parser then shows; `markup_literal()` is the one that round-trips);
* `markup=True` anywhere.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "tui_crm"
FILES = [*ROOT.joinpath("screens").glob("*.py"), *ROOT.joinpath("widgets").glob("*.py"), ROOT / "app.py",
         ROOT / "host.py"]
# Widgets and calls whose first argument Textual treats as markup (or shows as it is).
CONTENT_CALLS = {"Label", "Static", "Button", "Hit", "DiscoveryHit", "Option", "TabPane", "Tab", "update",
                 "Badge", "Content", "from_markup"}


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _ours(node: ast.expr) -> bool:
    """A literal, or a string from our catalog (`tr(...)`)."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, ast.Call) and _name(node.func) in ("tr", "retranslate"):
        return True
    if isinstance(node, ast.JoinedStr):
        return all(_ours(v.value) if isinstance(v, ast.FormattedValue) else True for v in node.values)
    if isinstance(node, ast.BinOp):
        return _ours(node.left) and _ours(node.right)
    return False


def _glued(node: ast.expr) -> bool:
    """A string built in place from something other than literals and catalog strings: an
    f-string, `.format(...)`, or `+` / `%`."""
    if isinstance(node, (ast.JoinedStr, ast.BinOp)):
        return not _ours(node) and (isinstance(node, ast.JoinedStr) or isinstance(node.op, (ast.Add, ast.Mod)))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return isinstance(node.func.value, ast.Constant)
    return False


def _where(path: Path, node: ast.AST) -> str:
    return f"{path.relative_to(ROOT.parent)}:{getattr(node, 'lineno', 0)}"


def _calls(path: Path) -> list[ast.Call]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)]


def test_no_string_glued_into_a_widget() -> None:
    offenders = []
    for path in FILES:
        for call in _calls(path):
            if _name(call.func) in CONTENT_CALLS and call.args and _glued(call.args[0]):
                offenders.append(f"{_where(path, call)}: {ast.unparse(call)[:100]}")
    assert offenders == []


def test_select_options_are_plain_text() -> None:
    offenders = []
    for path in FILES:
        for call in _calls(path):
            if _name(call.func) == "set_options" and "plain(" not in ast.unparse(call):
                offenders.append(f"{_where(path, call)}: {ast.unparse(call)[:100]}")
            if _name(call.func) == "Select" and call.args and not isinstance(call.args[0], (ast.List, ast.Tuple)):
                offenders.append(f"{_where(path, call)}: options given as {ast.unparse(call.args[0])[:60]}")
            elif (_name(call.func) == "Select" and call.args and ast.unparse(call.args[0]) not in ("[]", "()")
                  and "plain(" not in ast.unparse(call.args[0])):
                offenders.append(f"{_where(path, call)}: {ast.unparse(call)[:100]}")
    assert offenders == []


def test_no_markup_escape_and_no_markup_on() -> None:
    offenders = []
    for path in FILES:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in ("textual.markup", "rich.markup") and any(
                    alias.name == "escape" for alias in node.names):
                offenders.append(f"{_where(path, node)}: imports escape from {node.module}")
            if isinstance(node, ast.keyword) and node.arg == "markup" and not (
                    isinstance(node.value, ast.Constant) and node.value.value is False):
                offenders.append(f"{_where(path, node)}: markup={ast.unparse(node.value)}")
    assert offenders == []
