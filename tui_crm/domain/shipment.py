"""Shipment requests (issue 12 part 2, docs/shipment.md): what is left to ask the warehouse for,
the quantities the operator typed, and where each request stands.

Pure rules, no wording: a refused quantity is a :class:`~tui_crm.domain.problems.Problem`
(``tui_crm.problems`` words it); a request's state is a :class:`RequestState`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from tui_crm.domain.money import parse_quantity
from tui_crm.domain.problems import Code, Problem, ValidationError, problem

__all__ = [
    "RequestLine",
    "RequestState",
    "parse_request",
    "request_state",
    "shipped_per_product",
]

_ZERO = Decimal(0)
# 1C's Количество is Number(15,3): 12 digits before the point.
_MAX_QTY = Decimal("1e12")


class RequestState(StrEnum):
    """Where one shipment request stands; ``.value`` is the i18n key suffix."""

    QUEUED = "queued"              # in the outbox, not in accounting yet
    FAILED = "failed"              # accounting refused it (its message is kept)
    IN_ACCOUNTING = "in_accounting"  # written unposted: the warehouse has it
    SHIPPED = "shipped"            # the warehouse posted it: the goods left
    REJECTED = "rejected"          # the warehouse marked it for deletion

    @property
    def open(self) -> bool:
        """Still counts against what is left to request (asked, not answered)."""
        return self in (RequestState.QUEUED, RequestState.IN_ACCOUNTING, RequestState.FAILED)


def request_state(item_state: str | None, *, in_accounting: bool, posted: bool,
                  deletion_mark: bool) -> RequestState:
    """A request's state from its outbox item's state (None when it has none left) and what
    accounting last said about its document. Accounting's answer wins once it has the document."""
    if in_accounting:
        if deletion_mark:
            return RequestState.REJECTED
        return RequestState.SHIPPED if posted else RequestState.IN_ACCOUNTING
    if item_state == "failed":
        return RequestState.FAILED
    return RequestState.QUEUED


@dataclass(frozen=True, slots=True)
class RequestLine:
    """One order line as the request form shows it, in the line's own unit."""

    line_no: int          # 1-based, the order's line
    product_id: str
    ordered: Decimal
    shipped: Decimal      # already shipped (posted documents)
    requested: Decimal    # in open requests (queued or waiting for the warehouse)

    @property
    def left(self) -> Decimal:
        """What may still be requested: ordered − shipped − already requested, never below 0."""
        return max(self.ordered - self.shipped - self.requested, _ZERO)


def parse_request(lines: Sequence[RequestLine], texts: Sequence[str]
                  ) -> tuple[dict[int, Decimal], dict[int, Problem], Problem | None]:
    """Read the quantity typed per line (same order as ``lines``): a number with at most 3
    decimals, not negative, not above what is left; 0 skips the line.

    Returns (quantity per line number for lines with more than 0, problem per line number,
    a problem of the whole request or None). Nothing is to be sent unless both problem parts
    are empty."""
    if len(texts) != len(lines):
        raise ValueError("one typed quantity per line")
    wanted: dict[int, Decimal] = {}
    problems: dict[int, Problem] = {}
    for line, text in zip(lines, texts, strict=True):
        try:
            qty = parse_quantity(text)
        except ValidationError as exc:
            problems[line.line_no] = exc.problem
            continue
        if qty >= _MAX_QTY:
            problems[line.line_no] = problem(Code.QUANTITY_TOO_LARGE)
        elif qty > line.left:
            problems[line.line_no] = problem(Code.SHIPMENT_ABOVE_LEFT, left=line.left)
        elif qty > 0:
            wanted[line.line_no] = qty
    whole = problem(Code.SHIPMENT_NOTHING) if not problems and not wanted else None
    return wanted, problems, whole


def shipped_per_product(sales: Mapping[str, Decimal], released: Iterable[Mapping[str, Decimal]]
                        ) -> dict[str, Decimal]:
    """Shipped quantity per product from the two kinds of accounting documents that say so:
    posted sales documents (``sales``) and posted warehouse orders (``released``, one mapping
    per document). In КА 1.1's order scheme both describe the same goods leaving (the sale and
    its release), so the larger of the two figures counts, never their sum."""
    out: dict[str, Decimal] = dict(sales)
    by_release: dict[str, Decimal] = {}
    for doc in released:
        for product, qty in doc.items():
            by_release[product] = by_release.get(product, _ZERO) + qty
    for product, qty in by_release.items():
        out[product] = max(out.get(product, _ZERO), qty)
    return out
