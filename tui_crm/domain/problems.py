"""What is wrong with a value the operator typed, as a code with parameters (no wording).

The domain decides *whether* something is wrong and *which* rule it breaks; it never words the
answer. A :class:`Problem` carries a :class:`Code` and the facts a sentence needs (the typed text,
a length, a maximum); the interface turns it into English or Russian from one catalog
(``tui_crm.problems.describe``), so no screen re-implements a rule to choose its wording.

Validators return problems (``Problem | None``, ``list[Problem]``, ``{field: Problem}``);
parsers, whose existing style is to raise, raise :class:`ValidationError` carrying one. It is a
``ValueError`` so callers that only need "refused or not" keep working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

__all__ = ["Code", "Problem", "ValidationError"]


class Code(StrEnum):
    """Every rule the domain can report as broken; ``.value`` is the catalog key suffix.

    Parameters each code comes with are listed after it; ``what`` is a subject key
    (``"quantity"``, ``"discount"``, ``"amount"``, ``"invoice_discount"``...).
    """

    # typed numbers (money.parse_decimal)
    NUMBER_EMPTY = "number.empty"  # what
    NOT_A_NUMBER = "number.not_a_number"  # what, text
    NOT_WHOLE = "number.not_whole"  # what
    TOO_MANY_DECIMALS = "number.too_many_decimals"  # what, places
    TOO_MANY_DIGITS = "number.too_many_digits"  # what, max_digits (before the decimal point)
    NEGATIVE = "number.negative"  # what
    # invoice lines and header (invoice.validate_line / validate_invoice / parse_*)
    NO_PRODUCT = "line.no_product"
    QUANTITY_NOT_POSITIVE = "quantity.not_positive"
    QUANTITY_TOO_LARGE = "quantity.too_large"
    PRICE_TOO_LARGE = "price.too_large"
    AMOUNT_TOO_LARGE = "amount.too_large"  # a line amount or the total over 1C's Number(15,2)
    PERCENT_OUT_OF_RANGE = "percent.out_of_range"  # what
    NO_CLIENT = "invoice.no_client"
    NO_WAREHOUSE = "invoice.no_warehouse"
    NO_LINES = "invoice.no_lines"
    IN_LINE = "invoice.in_line"  # line (number, from 1), problem (the line's Problem)
    DATE_INVALID = "date.invalid"  # text
    DATE_AFTER_1C = "date.after_1c"  # text (a real date past 31.12.3999, which 1C cannot store)
    # shipment request (shipment.parse_request)
    SHIPMENT_ABOVE_LEFT = "shipment.above_left"  # left (what is still to ship on the line)
    SHIPMENT_NOTHING = "shipment.nothing"  # every quantity is 0
    # client card (validation.validate_*)
    NAME_EMPTY = "name.empty"
    NAME_TOO_LONG = "name.too_long"  # max_length
    INN_EMPTY = "inn.empty"
    INN_REQUIRED = "inn.required"  # kind (ClientKind), length
    INN_NOT_DIGITS = "inn.not_digits"
    INN_WRONG_LENGTH = "inn.wrong_length"  # length
    INN_REGION_00 = "inn.region_00"
    INN_CHECKSUM = "inn.checksum"
    INN_LENGTH_FOR_KIND = "inn.length_for_kind"  # kind, expected, length
    KPP_EMPTY = "kpp.empty"
    KPP_WRONG_LENGTH = "kpp.wrong_length"  # length
    KPP_FORMAT = "kpp.format"
    KPP_NOT_ALLOWED = "kpp.not_allowed"  # kind
    PHONE_INVALID = "phone.invalid"  # text
    IN_PHONE = "client.in_phone"  # n (which phone, from 1), problem
    EMAIL_EMPTY = "email.empty"
    EMAIL_INVALID = "email.invalid"  # text
    # company-specific fields (custom.parse_value / check_value)
    CUSTOM_REQUIRED = "custom.required"
    CUSTOM_TOO_LONG = "custom.too_long"  # max_length
    CUSTOM_OUT_OF_RANGE = "custom.out_of_range"  # minimum, maximum
    FILTER_YES_NO = "filter.yes_no"
    FILTER_COMPARE_TEXT = "filter.compare_text"


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: its :class:`Code` and the facts the sentence about it needs.

    ``params`` values are plain data (``str``, ``int``, ``Decimal``, an enum such as
    ``ClientKind``) or another :class:`Problem` (a line's problem inside the invoice's).
    """

    code: Code
    params: Mapping[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def __hash__(self) -> int:
        return hash((self.code, tuple(sorted((k, repr(v)) for k, v in self.params.items()))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Problem):
            return NotImplemented
        return self.code is other.code and dict(self.params) == dict(other.params)

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.params.items())
        return f"Problem({self.code.value}{': ' + params if params else ''})"

    @property
    def innermost(self) -> Problem:
        """The problem itself, or the one it wraps (``IN_LINE``/``IN_PHONE``), all the way down."""
        inner = self.params.get("problem")
        return inner.innermost if isinstance(inner, Problem) else self


def problem(code: Code, **params: object) -> Problem:
    """Shorthand: ``problem(Code.NAME_TOO_LONG, max_length=100)``."""
    return Problem(code, params)


class ValidationError(ValueError):
    """A parser refused what was typed; ``.problem`` says why (the UI words it)."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(repr(problem))
        self.problem = problem
