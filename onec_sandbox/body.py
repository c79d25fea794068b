"""Reading and parsing a request body with bounds: size, JSON nesting, finite numbers.

Why: a 50 MB body was read whole into memory, JSON nested 100k deep ended in a RecursionError
(a 500, which clients retry as transient), and `1e999`, `NaN` or `Infinity` were accepted as
numbers. Each of these is a client error and gets a 4xx `odata.error` quickly instead.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from typing import Any

#: Largest request body (a КА order with a thousand lines is well under 1 MB).
MAX_BODY = 8 * 1024 * 1024
#: Deepest JSON nesting of objects and arrays (an order is 3 deep: body → table part → row).
MAX_JSON_DEPTH = 32
#: Digits of the largest number Edm.Double can hold (about 1.8e308).
_MAX_EXPONENT = 308


class BodyError(Exception):
    """A request body refused before it reaches the data: HTTP status + 1C code + message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class _NotFinite(ValueError):
    pass


def too_large(limit: int = MAX_BODY) -> BodyError:
    return BodyError(413, "2", f"Тело запроса слишком велико (больше {limit // (1024 * 1024)} МБ)")


async def read_body(request: Any, limit: int = MAX_BODY) -> bytes:
    """The body of a Starlette request, refused with 413 as soon as it is known to exceed
    `limit`: before reading when Content-Length says so, else while streaming it."""
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise BodyError(400, "2", "Неверный заголовок Content-Length") from None
        if size > limit:
            raise too_large(limit)
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _float(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:  # pragma: no cover - json only hands over number syntax
        raise _NotFinite(text) from None
    if not value.is_finite() or (value and value.adjusted() > _MAX_EXPONENT):
        raise _NotFinite(text)
    return value


def _int(text: str) -> int:
    if len(text.lstrip("-")) > _MAX_EXPONENT + 1:
        raise _NotFinite(text[:20] + "…")
    return int(text)


def _constant(name: str) -> Any:
    raise _NotFinite(name)  # NaN, Infinity, -Infinity: not JSON, and not a number in 1C


def json_depth(data: Any) -> int:
    """Nesting depth of parsed JSON (a scalar is 0), without recursion."""
    best = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        elif not isinstance(node, list):
            best = max(best, depth)
            continue
        depth += 1
        best = max(best, depth)
        if depth > MAX_JSON_DEPTH:
            return depth
        stack.extend((child, depth) for child in node)
    return best


def parse_json(raw: bytes) -> Any:
    """JSON from a request body: Decimal numbers, finite and within Edm.Double; bounded
    nesting. Any problem is a `BodyError` with a 4xx status."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError(400, "2", "Неверный формат тела запроса (ожидается JSON в UTF-8)") from None
    try:
        data = json.loads(text, parse_float=_float, parse_int=_int, parse_constant=_constant)
    except _NotFinite as e:
        raise BodyError(400, "4", f"Неверное значение числа в теле запроса: {e.args[0]} "
                        "(ожидается конечное число)") from None
    except RecursionError:
        # the C decoder guards its own recursion and gives up cleanly; far too deep anyway
        raise BodyError(400, "2", f"Слишком глубокая вложенность JSON (больше {MAX_JSON_DEPTH})"
                        ) from None
    except ValueError:
        raise BodyError(400, "2", "Неверный формат тела запроса (ожидается JSON)") from None
    if json_depth(data) > MAX_JSON_DEPTH:
        raise BodyError(400, "2", f"Слишком глубокая вложенность JSON (больше {MAX_JSON_DEPTH})")
    return data
