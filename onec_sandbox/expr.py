"""The $filter / Condition / $orderby language of 1C's OData, as a tokenizer, parser and evaluator.

Why a real parser: the CRM's client builds filters with nested `or` groups, `cast()` on
composite fields and lambdas over table parts; a regex-based fake would accept what 1C
rejects and reject what 1C accepts. Parse errors raise `ExprError` (→ code 14), unknown
properties raise `UnknownProperty` (→ code 10).

Semantics that matter and mirror 1C:
- a composite field compared with a bare `guid'…'` is never equal (needs `cast(guid'…','T')`);
- `substringof('needle', Field)` takes the needle first; string functions are
  case-insensitive (the usual 1C collation);
- Int64 properties (strings on the wire) compare as numbers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from .schema import TYPE_PREFIX, FieldType


class ExprError(Exception):
    """Syntax error in a query option (1C code 14)."""


# ---- limits ----------------------------------------------------------------------------------
# A hostile filter (1000 `or` terms, 400 nested parentheses, 5000 `not`) used to end in a
# RecursionError, i.e. a 500 that clients retry as transient. These bounds are checked while
# parsing, before any recursion can get deep, and answer code 14 (a 400). They sit far above
# what a real client sends: the CRM puts 20 ids (about 40 operators) into one filter, and a URL
# with 512 operators is far past the 8 KB request line of Apache and the 2 KB of IIS.

#: Characters of one $filter / Condition / $orderby text.
MAX_TEXT = 32_768
#: Nesting: parentheses, `not`, unary minus, function arguments and lambdas, counted together.
MAX_DEPTH = 64
#: Binary operators (`or`, `and`, `eq`, `add`, ...) in one expression.
MAX_TERMS = 512
#: Height of the parsed tree (a long chain of non-associative `add`/`sub` grows it linearly;
#: `and`/`or` chains are built balanced, so they do not).
MAX_HEIGHT = 128


class UnknownProperty(Exception):
    """A property that the entity does not have (1C code 10)."""


# ---- values --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guid:
    value: str


@dataclass(frozen=True)
class Cast:
    value: str
    type: str  # "StandardODATA.Document_X"


@dataclass(frozen=True)
class Comp:
    value: Any
    type: str


# ---- tokenizer -----------------------------------------------------------------------------

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<guid>guid'(?P<g>[0-9a-fA-F-]{36})')
  | (?P<dt>datetime'(?P<d>[0-9T:.\- ]+)')
  | (?P<str>'(?:[^']|'')*')
  | (?P<num>-?\d+(?:\.\d+)?(?:[mMdDfFlL])?)
  | (?P<name>[^\W\d][\w]*)
  | (?P<op>[()/,:])
    """,
    re.VERBOSE | re.UNICODE,
)


@dataclass
class Tok:
    kind: str  # guid dt str num name op end
    value: Any
    pos: int


def tokenize(text: str) -> list[Tok]:
    if len(text) > MAX_TEXT:
        raise ExprError(f"Слишком длинное выражение: {len(text)} символов (не больше {MAX_TEXT})")
    toks: list[Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if not m:
            hint = ""
            if text[pos] == "+":
                hint = " (пробелы в URL должны кодироваться как %20, а не '+')"
            raise ExprError(f"Неожиданный символ в позиции {pos + 1}: {text[pos:pos + 10]!r}{hint}")
        kind = m.lastgroup
        if kind == "g" or kind == "d":
            kind = "guid" if m.group("guid") else "dt"
        if m.group("guid"):
            toks.append(Tok("guid", m.group("g").lower(), pos))
        elif m.group("dt"):
            toks.append(Tok("dt", _norm_date(m.group("d")), pos))
        elif m.group("str") is not None:
            toks.append(Tok("str", m.group("str")[1:-1].replace("''", "'"), pos))
        elif m.group("num"):
            raw = m.group("num").rstrip("mMdDfFlL")
            toks.append(Tok("num", Decimal(raw), pos))
        elif m.group("name"):
            toks.append(Tok("name", m.group("name"), pos))
        elif m.group("op"):
            toks.append(Tok("op", m.group("op"), pos))
        pos = m.end()
    toks.append(Tok("end", None, len(text)))
    return toks


def _norm_date(s: str) -> str:
    s = s.strip().replace(" ", "T")
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?", s):
        raise ExprError(f"Неверный формат даты: {s}")
    if "T" not in s:
        s += "T00:00:00"
    elif len(s) == 16:
        s += ":00"
    return s[:19]


# ---- AST -----------------------------------------------------------------------------------
# Nodes are tuples: ("lit", v) ("path", [segments]) ("bin", op, a, b) ("not", a) ("neg", a)
# ("call", name, [args]) ("lambda", path, kind, var, body)

_BINARY = {"or": 1, "and": 2, "eq": 3, "ne": 3, "gt": 3, "ge": 3, "lt": 3, "le": 3,
           "add": 4, "sub": 4, "mul": 5, "div": 5, "mod": 5}
_FUNCS = {"substringof", "startswith", "endswith", "concat", "substring", "like", "year", "month",
          "day", "hour", "minute", "second", "round", "cast", "isof", "length", "tolower",
          "toupper", "trim", "indexof"}
_UNSUPPORTED = {"length", "indexof", "replace", "tolower", "toupper", "trim", "floor", "ceiling"}


def _balanced(op: str, items: list):
    """`a op b op c ...` as a balanced tree: and/or are associative, and a balanced tree keeps
    compiling and evaluating a long chain shallow."""
    if len(items) == 1:
        return items[0]
    mid = len(items) // 2
    return ("bin", op, _balanced(op, items[:mid]), _balanced(op, items[mid:]))


def tree_height(node) -> int:
    """Height of an AST, computed without recursion (the tree may be what is being bounded)."""
    best = 0
    stack = [(node, 1)]
    while stack:
        n, h = stack.pop()
        best = max(best, h)
        kind = n[0]
        if kind == "bin":
            stack.append((n[2], h + 1))
            stack.append((n[3], h + 1))
        elif kind in ("not", "neg"):
            stack.append((n[1], h + 1))
        elif kind == "call":
            stack.extend((a, h + 1) for a in n[2])
        elif kind == "lambda":
            stack.append((n[4], h + 1))
    return best


class Parser:
    def __init__(self, text: str):
        self.text = text
        self.toks = tokenize(text)
        self.i = 0
        self.depth = 0
        self.terms = 0

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExprError(f"Слишком глубокая вложенность выражения (больше {MAX_DEPTH})")

    def leave(self) -> None:
        self.depth -= 1

    def count_term(self) -> None:
        self.terms += 1
        if self.terms > MAX_TERMS:
            raise ExprError(f"Слишком много операций в выражении (больше {MAX_TERMS})")

    def peek(self) -> Tok:
        return self.toks[self.i]

    def next(self) -> Tok:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect_op(self, op: str) -> None:
        t = self.next()
        if t.kind != "op" or t.value != op:
            raise ExprError(f"Ожидается '{op}' в позиции {t.pos + 1}")

    def parse(self):
        node = self.expr(0)
        if self.peek().kind != "end":
            t = self.peek()
            raise ExprError(f"Неожиданная лексема в позиции {t.pos + 1}: {t.value}")
        if tree_height(node) > MAX_HEIGHT:
            raise ExprError(f"Слишком сложное выражение (глубина больше {MAX_HEIGHT})")
        return node

    def expr(self, min_prec: int):
        self.enter()
        left = self.unary()
        chain_op: str | None = None   # a run of one associative operator, built balanced
        chain: list = []
        while True:
            t = self.peek()
            if not (t.kind == "name" and t.value in _BINARY and _BINARY[t.value] > min_prec):
                break
            self.next()
            self.count_term()
            right = self.expr(_BINARY[t.value])
            if t.value in ("and", "or"):
                if chain_op == t.value:
                    chain.append(right)
                    continue
                if chain_op is not None:
                    left = _balanced(chain_op, chain)
                chain_op, chain = t.value, [left, right]
                continue
            if chain_op is not None:
                left = _balanced(chain_op, chain)
                chain_op, chain = None, []
            left = ("bin", t.value, left, right)
        if chain_op is not None:
            left = _balanced(chain_op, chain)
        self.leave()
        return left

    def unary(self):
        t = self.peek()
        if t.kind == "name" and t.value == "not":
            self.next()
            self.enter()
            node = ("not", self.unary())
            self.leave()
            return node
        if t.kind == "name" and t.value == "-":
            self.next()
            self.enter()
            node = ("neg", self.unary())
            self.leave()
            return node
        return self.primary()

    def primary(self):
        t = self.next()
        if t.kind == "op" and t.value == "(":
            node = self.expr(0)
            self.expect_op(")")
            return node
        if t.kind in ("guid",):
            return ("lit", Guid(t.value))
        if t.kind in ("dt", "str", "num"):
            return ("lit", t.value)
        if t.kind == "name":
            if t.value == "true":
                return ("lit", True)
            if t.value == "false":
                return ("lit", False)
            if t.value == "null":
                return ("lit", None)
            nt = self.peek()
            if nt.kind == "op" and nt.value == "(":
                name = t.value
                if name in _UNSUPPORTED:
                    raise ExprError(f"Функция {name} не поддерживается")
                if name not in _FUNCS:
                    raise ExprError(f"Неизвестная функция {name}")
                self.next()
                args = []
                if not (self.peek().kind == "op" and self.peek().value == ")"):
                    args.append(self.expr(0))
                    while self.peek().kind == "op" and self.peek().value == ",":
                        self.next()
                        args.append(self.expr(0))
                self.expect_op(")")
                return ("call", name, args)
            return self.path(t.value)
        raise ExprError(f"Неожиданная лексема в позиции {t.pos + 1}: {t.value}")

    def path(self, first: str):
        segs = [first]
        while self.peek().kind == "op" and self.peek().value == "/":
            self.next()
            t = self.next()
            if t.kind != "name":
                raise ExprError(f"Ожидается имя свойства в позиции {t.pos + 1}")
            if t.value in ("any", "all") and self.peek().kind == "op" and self.peek().value == "(":
                self.next()
                var = self.next()
                if var.kind != "name":
                    raise ExprError("Ожидается имя переменной лямбда-выражения")
                self.expect_op(":")
                body = self.expr(0)
                self.expect_op(")")
                return ("lambda", segs, t.value, var.value, body)
            segs.append(t.value)
        return ("path", segs)


def parse(text: str):
    return Parser(text).parse()


# ---- compile to Python closures --------------------------------------------------------------


class Scope:
    """What names mean while compiling: the entity's fields, lambda variables, and how to
    follow a reference (`Контрагент/ИНН`) to another set."""

    def __init__(self, fields: dict[str, FieldType], table_parts: dict[str, dict[str, FieldType]]
                 | None = None, resolver: Callable[[str, str], dict | None] | None = None,
                 schema_of: Callable[[str], dict[str, FieldType] | None] | None = None):
        self.fields = fields
        self.table_parts = table_parts or {}
        self.resolver = resolver
        self.schema_of = schema_of


def _getter_for(fields: dict[str, FieldType], name: str, base: Callable[[dict], Any] | None,
                scope: Scope, rest: list[str]) -> Callable[[Any], Any]:
    ft = fields.get(name)
    if ft is None:
        ref = fields.get(name + "_Key")
        if ref is not None and ref.kind == "r" and rest and ref.target and scope.schema_of:
            target_fields = scope.schema_of(ref.target) or {}
            key = name + "_Key"
            target = ref.target
            inner = _getter_for(target_fields, rest[0], None, scope, rest[1:])
            resolver = scope.resolver

            def nav(row, _key=key):
                r = (base(row) if base else row)
                if r is None:
                    return None
                obj = resolver(target, r.get(_key)) if resolver else None
                return inner(obj) if obj is not None else None
            return nav
        raise UnknownProperty(name)
    if rest:
        raise UnknownProperty("/".join([name, *rest]))
    kind = ft.kind
    if kind == "c":
        tname = name + "_Type"

        def g(row):
            r = base(row) if base else row
            return None if r is None else Comp(r.get(name), r.get(tname))
        return g
    if kind == "l":
        def g(row):
            r = base(row) if base else row
            v = None if r is None else r.get(name)
            try:
                return Decimal(v) if v is not None else None
            except (InvalidOperation, TypeError):
                return None
        return g
    if kind == "i":
        def g(row):
            r = base(row) if base else row
            v = None if r is None else r.get(name)
            return Decimal(v) if v is not None else None
        return g
    if base is None:
        return lambda row: row.get(name)
    return lambda row: (lambda r: None if r is None else r.get(name))(base(row))


def _eq(a, b) -> bool:
    if isinstance(a, Comp) or isinstance(b, Comp):
        if isinstance(a, Comp) and isinstance(b, Comp):
            return a == b
        c, o = (a, b) if isinstance(a, Comp) else (b, a)
        if isinstance(o, Cast):
            return (c.value or "").lower() == o.value and c.type == o.type
        if isinstance(o, str) and not isinstance(o, Guid):
            return c.value == o and c.type in ("Edm.String", "")
        return False  # bare guid vs composite: never equal, like 1C
    if isinstance(a, Guid):
        a = a.value
    if isinstance(b, Guid):
        b = b.value
    if isinstance(a, Cast):
        a = a.value
    if isinstance(b, Cast):
        b = b.value
    if isinstance(a, str) and isinstance(b, str) and len(a) == 36 and len(b) == 36:
        return a.lower() == b.lower()
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b or a == b
    if isinstance(a, Decimal) and isinstance(b, (int, float)):
        b = Decimal(b)
    if isinstance(b, Decimal) and isinstance(a, (int, float)):
        a = Decimal(a)
    return a == b


def _cmp(op: str, a, b) -> bool:
    if a is None or b is None:
        return False
    if isinstance(a, Guid):
        a = a.value
    if isinstance(b, Guid):
        b = b.value
    if isinstance(a, Comp):
        a = a.value
    if isinstance(b, Comp):
        b = b.value
    try:
        if op == "gt":
            return a > b
        if op == "ge":
            return a >= b
        if op == "lt":
            return a < b
        return a <= b
    except TypeError:
        return False


def _s(v) -> str:
    if v is None:
        return ""
    if isinstance(v, (Guid, Cast, Comp)):
        return str(v.value)
    return str(v)


def _like(value: str, pattern: str) -> bool:
    rx = "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in pattern)
    return re.fullmatch(rx, value, re.IGNORECASE | re.DOTALL) is not None


def _arith(op: str, a, b):
    if a is None or b is None:
        return None
    try:
        a, b = Decimal(a), Decimal(b)
        if op == "add":
            return a + b
        if op == "sub":
            return a - b
        if op == "mul":
            return a * b
        if op == "div":
            return a / b if b else None
        return a % b if b else None
    except (InvalidOperation, TypeError, ValueError):
        return None


def _datepart(v, i: int, j: int):
    if not isinstance(v, str) or len(v) < j:
        return None
    return Decimal(v[i:j])


def compile_expr(node, scope: Scope, lambdas: dict[str, dict[str, FieldType]] | None = None
                 ) -> Callable[[Any], Any]:
    """Turn an AST into `f(row) -> value`. Lambda variables are passed through `row` as a
    dict `{"__row": row, var: tp_row}` chain; to keep it simple the evaluated object is a
    small env tuple (row, {var: tp_row})."""
    lambdas = lambdas or {}
    t = node[0]
    if t == "lit":
        v = node[1]
        return lambda env: v
    if t == "path":
        segs = node[1]
        if segs[0] in lambdas:
            var = segs[0]
            if len(segs) < 2:
                raise ExprError("Ожидается свойство строки табличной части")
            g = _getter_for(lambdas[var], segs[1], None, scope, segs[2:])
            return lambda env: g(env[1][var])
        g = _getter_for(scope.fields, segs[0], None, scope, segs[1:])
        return lambda env: g(env[0])
    if t == "lambda":
        segs, kind, var, body = node[1], node[2], node[3], node[4]
        if len(segs) != 1 or segs[0] not in scope.table_parts:
            raise UnknownProperty("/".join(segs))
        tp = segs[0]
        inner = dict(lambdas)
        inner[var] = scope.table_parts[tp]
        f = compile_expr(body, scope, inner)

        if kind == "any":
            def lam(env):
                return any(f((env[0], {**env[1], var: r})) is True for r in env[0].get(tp) or ())
        else:
            def lam(env):
                return all(f((env[0], {**env[1], var: r})) is True for r in env[0].get(tp) or ())
        return lam
    if t == "not":
        f = compile_expr(node[1], scope, lambdas)
        return lambda env: not f(env)
    if t == "neg":
        f = compile_expr(node[1], scope, lambdas)
        return lambda env: -f(env)
    if t == "bin":
        op = node[1]
        fa = compile_expr(node[2], scope, lambdas)
        fb = compile_expr(node[3], scope, lambdas)
        if op == "and":
            return lambda env: bool(fa(env)) and bool(fb(env))
        if op == "or":
            return lambda env: bool(fa(env)) or bool(fb(env))
        if op == "eq":
            return lambda env: _eq(fa(env), fb(env))
        if op == "ne":
            return lambda env: not _eq(fa(env), fb(env))
        if op in ("gt", "ge", "lt", "le"):
            return lambda env: _cmp(op, fa(env), fb(env))
        return lambda env: _arith(op, fa(env), fb(env))
    if t == "call":
        name, args = node[1], node[2]
        if name == "cast":
            if len(args) != 2 or args[1][0] != "lit" or not isinstance(args[1][1], str):
                raise ExprError("cast: ожидается cast(значение, 'Тип')")
            tname = args[1][1]
            fv = compile_expr(args[0], scope, lambdas)
            full = tname if tname.startswith(TYPE_PREFIX) else TYPE_PREFIX + tname

            def cast(env):
                v = fv(env)
                if isinstance(v, Guid):
                    return Cast(v.value, full)
                return v
            return cast
        fs = [compile_expr(a, scope, lambdas) for a in args]

        def need(n: int) -> None:
            if len(fs) != n:
                raise ExprError(f"Функция {name}: неверное число параметров")
        if name == "substringof":
            need(2)
            return lambda env: _s(fs[0](env)).lower() in _s(fs[1](env)).lower()
        if name == "startswith":
            need(2)
            return lambda env: _s(fs[0](env)).lower().startswith(_s(fs[1](env)).lower())
        if name == "endswith":
            need(2)
            return lambda env: _s(fs[0](env)).lower().endswith(_s(fs[1](env)).lower())
        if name == "like":
            need(2)
            return lambda env: _like(_s(fs[0](env)), _s(fs[1](env)))
        if name == "concat":
            need(2)
            return lambda env: _s(fs[0](env)) + _s(fs[1](env))
        if name == "substring":
            if len(fs) not in (2, 3):
                raise ExprError("substring: неверное число параметров")

            def sub(env):
                s = _s(fs[0](env))
                i = int(fs[1](env))
                return s[i:i + int(fs[2](env))] if len(fs) == 3 else s[i:]
            return sub
        parts = {"year": (0, 4), "month": (5, 7), "day": (8, 10), "hour": (11, 13),
                 "minute": (14, 16), "second": (17, 19)}
        if name in parts:
            need(1)
            i, j = parts[name]
            return lambda env: _datepart(fs[0](env), i, j)
        if name == "round":
            need(1)
            return lambda env: (lambda v: None if v is None else Decimal(v).quantize(Decimal(1)))(
                fs[0](env))
        if name == "isof":
            need(2)

            def isof(env):
                v = fs[0](env)
                want = _s(fs[1](env))
                want = want if want.startswith(TYPE_PREFIX) else TYPE_PREFIX + want
                return isinstance(v, Comp) and v.type == want
            return isof
        raise ExprError(f"Функция {name} не поддерживается")
    raise ExprError("Неверное выражение")


def compile_filter(text: str, scope: Scope) -> Callable[[dict], bool]:
    """Compile a boolean filter; the returned predicate takes a row dict."""
    node = parse(text)
    f = compile_expr(node, scope)
    return lambda row: f((row, {})) is True


def parse_orderby(text: str, scope: Scope) -> list[tuple[Callable[[dict], Any], bool]]:
    """`A desc, B/C asc` → [(key(row), descending)]."""
    if len(text) > MAX_TEXT:
        raise ExprError(f"Слишком длинное выражение: {len(text)} символов (не больше {MAX_TEXT})")
    parts = _split_top(text)
    if len(parts) > MAX_DEPTH:
        raise ExprError(f"Слишком много полей в $orderby (больше {MAX_DEPTH})")
    out: list[tuple[Callable[[dict], Any], bool]] = []
    for part in parts:
        part = part.strip()
        if not part:
            raise ExprError("Пустой элемент $orderby")
        desc = False
        m = re.fullmatch(r"(.*?)\s+(asc|desc)", part)
        if m:
            part, desc = m.group(1), m.group(2) == "desc"
        node = Parser(part).parse()
        out.append((_of_row(compile_expr(node, scope)), desc))
    return out


def _of_row(f: Callable[[Any], Any]) -> Callable[[dict], Any]:
    """A compiled expression as a function of a row dict (no lambda variables bound)."""
    return lambda row: f((row, {}))


def _split_top(text: str) -> list[str]:
    """Split on commas that are not inside parentheses or string literals."""
    parts: list[str] = []
    cur: list[str] = []
    depth, quote = 0, False
    for ch in text:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif not quote and depth == 0 and ch == ",":
            parts.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    parts.append("".join(cur))
    return parts


def sort_key(v):
    """Order values of mixed kinds without TypeErrors; empties first like 1C."""
    if v is None:
        return (0, "")
    if isinstance(v, Comp):
        return (1, v.type or "", str(v.value or ""))
    if isinstance(v, Guid):
        return (1, v.value)
    if isinstance(v, bool):
        return (2, int(v))
    if isinstance(v, (Decimal, int, float)):
        return (3, v)
    return (4, str(v))


# ---- index hints ---------------------------------------------------------------------------


def eq_guid_candidates(node, indexed: set[str]) -> dict[str, set[str]] | None:
    """From a Condition AST, find a restriction that an index can serve.

    Returns {column: {guid,...}} meaning "rows must have one of these values in that column",
    or None when the condition cannot be narrowed (then every row is scanned). `and` picks the
    narrower side; `or` needs both sides to restrict the same column.
    """
    t = node[0]
    if t == "bin" and node[1] == "eq":
        a, b = node[2], node[3]
        if a[0] == "lit":
            a, b = b, a
        if a[0] == "path" and len(a[1]) == 1 and a[1][0] in indexed and b[0] == "lit" \
                and isinstance(b[1], Guid):
            return {a[1][0]: {b[1].value}}
        return None
    if t == "bin" and node[1] == "and":
        left = eq_guid_candidates(node[2], indexed)
        right = eq_guid_candidates(node[3], indexed)
        if left is None:
            return right
        if right is None:
            return left
        merged = dict(left)
        for k, v in right.items():
            merged[k] = merged[k] & v if k in merged else v
        return merged
    if t == "bin" and node[1] == "or":
        left = eq_guid_candidates(node[2], indexed)
        right = eq_guid_candidates(node[3], indexed)
        if left is None or right is None:
            return None
        common = set(left) & set(right)
        if not common:
            return None
        k = min(common, key=lambda c: len(left[c]) + len(right[c]))
        return {k: left[k] | right[k]}
    return None
