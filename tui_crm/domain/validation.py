"""Validation and normalisation of client details: phones, ИНН, КПП, e-mail, legal form.

Every ``validate_*`` function returns ``None`` when the value is fine, otherwise a
:class:`~tui_crm.domain.problems.Problem` (a code with parameters) that the client card words
next to the field. Nothing here raises on bad user input; exceptions are reserved for
programming errors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from enum import Enum
from typing import Final

from tui_crm.domain.problems import Code, Problem, problem

# Characters accounting's text cannot hold: the pull quarantines a 1C row with one
# (`sync/parse.py`), so the shell's client add / invoice add refuse them too (`quick.py`). Tab
# and line breaks are allowed.
UNSTORABLE: Final = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

__all__ = [
    "NAME_MAX_LENGTH",
    "ClientKind",
    "inn_checksum_ok",
    "make_valid_inn",
    "normalize_phone",
    "phone_matches",
    "phone_search_key",
    "split_phones",
    "validate_client",
    "validate_email",
    "validate_inn",
    "validate_kpp",
    "validate_phone",
]

NAME_MAX_LENGTH: Final = 100
"""``Catalog.Контрагенты`` Description is String(100)."""

# ---------------------------------------------------------------------------------------------
# Phones

# ASCII digits only: `\d` and `str.isdigit` also take full-width (８) and Arabic-Indic (٨) digits,
# which 1C and the phone network do not read as digits. Separators: the spaces people and
# locales put in numbers (normal, no-break, thin, narrow no-break), brackets, dashes and dots;
# never line breaks or other control characters.
_PHONE_ALLOWED: Final = re.compile(r"\+?[0-9 ()\-.\u00a0\u2009\u202f]+")
_NOT_DIGIT: Final = re.compile(r"[^0-9]")
_RU_NATIONAL_FIRST_DIGITS: Final = frozenset("3489")  # area codes 3xx/4xx/8xx, mobile 9xx


def normalize_phone(text: str) -> str | None:
    """Phone number in E.164 form (``"+79123456789"``), or ``None`` if it is not a phone number.

    Russian forms are recognised with or without the country code: ``+7 (912) 345-67-89``,
    ``8 912 345 67 89``, ``89123456789``, ``79123456789`` and the 10-digit national
    ``9123456789`` (must start with 3, 4, 8 or 9, as Russian area and mobile codes do). Other
    numbers must be written with ``+`` and are kept as ``+`` and 8–15 digits. Spaces, brackets,
    dashes and dots are ignored; letters, line breaks, control characters or digits of another
    script (full-width ``８``, Arabic-Indic ``٨``) make it "not a phone number".
    """
    if not isinstance(text, str):
        return None
    stripped = text.strip()
    if not stripped or not _PHONE_ALLOWED.fullmatch(stripped):
        return None
    digits = _NOT_DIGIT.sub("", stripped)
    if stripped.startswith("+"):
        if digits.startswith("7"):
            return "+" + digits if len(digits) == 11 else None
        return "+" + digits if 8 <= len(digits) <= 15 else None
    if len(digits) == 11 and digits[0] in "78":
        return "+7" + digits[1:]
    if len(digits) == 10 and digits[0] in _RU_NATIONAL_FIRST_DIGITS:
        return "+7" + digits
    return None


def phone_search_key(text: str) -> str:
    """Digits to match phones by substring, so that typing ``"912 34"`` finds ``+7 912 345…``.

    Russian numbers are reduced to their 10 national digits (the ``+7``/``8`` prefix dropped),
    both for stored phones and for what the operator types, so ``8 912 345`` and ``+7 912 345``
    find the same clients. The prefix is dropped from a query only when it is unambiguous: the
    text starts with ``+7``, or it is a full 11-digit number starting with 7 or 8 (a short
    ``"8912"`` may be the middle of a number, so it is kept as typed).
    """
    if not isinstance(text, str):
        return ""
    stripped = text.strip()
    digits = _NOT_DIGIT.sub("", stripped)
    if stripped.startswith("+7"):
        return digits[1:]
    if stripped.startswith("+"):
        return digits
    if len(digits) == 11 and digits[0] in "78":
        return digits[1:]
    return digits


def split_phones(text: str) -> list[str]:
    """One or more phones written in one field, separated by commas or semicolons."""
    return [p.strip() for p in re.split(r"[,;]", text) if p.strip()]


def phone_matches(query: str, phone: str) -> bool:
    """True if the digits the operator typed occur in ``phone`` (empty query matches nothing)."""
    key = phone_search_key(query)
    return bool(key) and key in phone_search_key(phone)


def validate_phone(text: str) -> Problem | None:
    """``None`` if ``text`` is a phone number :func:`normalize_phone` understands."""
    if normalize_phone(text) is None:
        return problem(Code.PHONE_INVALID, text=text.strip())
    return None


# ---------------------------------------------------------------------------------------------
# ИНН / КПП

_INN10_WEIGHTS: Final = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_11: Final = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_12: Final = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def _check_digit(digits: Sequence[int], weights: Sequence[int]) -> int:
    """Official ИНН control digit: weighted sum mod 11, then mod 10."""
    return sum(d * w for d, w in zip(digits, weights, strict=True)) % 11 % 10


def inn_checksum_ok(inn: str) -> bool:
    """True if a 10- or 12-digit ИНН has correct control digits (length/digits checked too)."""
    if not (isinstance(inn, str) and inn.isascii() and inn.isdigit() and len(inn) in (10, 12)):
        return False
    d = [int(c) for c in inn]
    if len(inn) == 10:
        return _check_digit(d[:9], _INN10_WEIGHTS) == d[9]
    return (
        _check_digit(d[:10], _INN12_WEIGHTS_11) == d[10]
        and _check_digit(d[:11], _INN12_WEIGHTS_12) == d[11]
    )


def validate_inn(inn: str) -> Problem | None:
    """``None`` for a valid ИНН, else why not.

    10 digits for an organisation, 12 for a person or sole proprietor, with the official
    control digits (weights 2,4,10,3,5,9,4,6,8 for 10 digits; 7,2,4,10,3,5,9,4,6,8 and
    3,7,2,4,10,3,5,9,4,6,8 for 12). Surrounding spaces are ignored. The first two digits are the
    region code, so ``00…`` is refused even though its checksum adds up.
    Whether the length fits the client's legal form is :func:`validate_client`'s business.
    """
    value = inn.strip() if isinstance(inn, str) else ""
    if not value:
        return problem(Code.INN_EMPTY)
    if not (value.isascii() and value.isdigit()):
        return problem(Code.INN_NOT_DIGITS)
    if len(value) not in (10, 12):
        return problem(Code.INN_WRONG_LENGTH, length=len(value))
    if value.startswith("00"):
        return problem(Code.INN_REGION_00)
    if not inn_checksum_ok(value):
        return problem(Code.INN_CHECKSUM)
    return None


def make_valid_inn(seed_digits: str) -> str:
    """Append the control digit(s) to ``seed_digits`` to get a valid ИНН (for tests and demo data).

    9 seed digits → a 10-digit organisation ИНН; 10 seed digits → a 12-digit personal ИНН.
    """
    if not (isinstance(seed_digits, str) and seed_digits.isascii() and seed_digits.isdigit()):
        raise ValueError(f"seed must be digits, got {seed_digits!r}")
    d = [int(c) for c in seed_digits]
    if len(d) == 9:
        return seed_digits + str(_check_digit(d, _INN10_WEIGHTS))
    if len(d) == 10:
        d.append(_check_digit(d, _INN12_WEIGHTS_11))
        d.append(_check_digit(d, _INN12_WEIGHTS_12))
        return "".join(map(str, d))
    raise ValueError(f"seed must have 9 or 10 digits, got {len(d)}")


_KPP_RE: Final = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")  # ASCII only, see _PHONE_ALLOWED


def validate_kpp(kpp: str) -> Problem | None:
    """``None`` for a well-formed КПП: 9 characters — 4 digits (tax office), 2 digits or
    capital Latin letters (reason code), 3 digits (sequence); ASCII digits only."""
    value = kpp.strip() if isinstance(kpp, str) else ""
    if not value:
        return problem(Code.KPP_EMPTY)
    if len(value) != 9:
        return problem(Code.KPP_WRONG_LENGTH, length=len(value))
    if not _KPP_RE.fullmatch(value):
        return problem(Code.KPP_FORMAT)
    return None


# ---------------------------------------------------------------------------------------------
# E-mail

# Used with fullmatch: `$` would also match before a final newline.
_EMAIL_RE: Final = re.compile(
    r"[^@\s\"(),:;<>\[\]\\]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+[^\W\d_]{2,63}"
)
# Unicode categories no address may contain: controls, format characters (zero-width, bidi
# overrides), surrogates, private use, unassigned, separators.
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def validate_email(email: str) -> Problem | None:
    """``None`` for a plausible address (``name@domain.tld``, Cyrillic domains such as ``.рф``
    allowed). Deliberately loose: only the mail server can say if the address exists; but never
    white space, control or invisible format characters (a zero-width space, a bidi override)."""
    value = email.strip() if isinstance(email, str) else ""
    if not value:
        return problem(Code.EMAIL_EMPTY)
    if len(value) > 254 or not _EMAIL_RE.fullmatch(value) or ".." in value:
        return problem(Code.EMAIL_INVALID, text=value)
    if any(unicodedata.category(ch) in _INVISIBLE for ch in value):
        return problem(Code.EMAIL_INVALID, text=value)
    local = value.split("@", 1)[0]
    if local.startswith(".") or local.endswith(".") or len(local) > 64:
        return problem(Code.EMAIL_INVALID, text=value)
    return None


# ---------------------------------------------------------------------------------------------
# Legal form


class ClientKind(Enum):
    """Legal form of a client, finer than 1C's ``ЮрФизЛицо`` (which has no sole proprietor).

    ``.value`` is a stable storage key. In КА 1.1 a sole proprietor (ИП) is a ``ФизЛицо``
    counterparty with a 12-digit ИНН.
    """

    LEGAL_ENTITY = "legal_entity"
    SOLE_PROPRIETOR = "sole_proprietor"
    INDIVIDUAL = "individual"

    @property
    def onec_legal_form(self) -> str:
        """The ``Перечисление.ЮрФизЛицо`` member: ``"ЮрЛицо"`` or ``"ФизЛицо"``."""
        return "ЮрЛицо" if self is ClientKind.LEGAL_ENTITY else "ФизЛицо"

    @property
    def inn_length(self) -> int:
        """Required ИНН length: 10 for an organisation, 12 for a person."""
        return 10 if self is ClientKind.LEGAL_ENTITY else 12

    @property
    def inn_required(self) -> bool:
        """A private individual may have no ИНН; organisations and ИП must have one."""
        return self is not ClientKind.INDIVIDUAL

    @property
    def has_kpp(self) -> bool:
        """Only organisations have a КПП; for persons it must stay empty."""
        return self is ClientKind.LEGAL_ENTITY

    @property
    def label(self) -> str:
        """English label (the screens translate)."""
        return {
            ClientKind.LEGAL_ENTITY: "Company",
            ClientKind.SOLE_PROPRIETOR: "Sole proprietor",
            ClientKind.INDIVIDUAL: "Individual",
        }[self]

    @classmethod
    def from_onec(cls, legal_form: str, inn: str = "") -> ClientKind:
        """Kind of a counterparty pulled from 1C.

        ``ЮрЛицо`` → LEGAL_ENTITY. ``ФизЛицо`` has no ИП flag in КА 1.1, so a person with a
        12-digit ИНН is taken to be a SOLE_PROPRIETOR (a business customer) and one without an
        ИНН an INDIVIDUAL. An empty legal form (unfilled in 1C) is decided by the ИНН length.
        БП 3 names the members ``ЮридическоеЛицо`` / ``ФизическоеЛицо`` (real rows,
        tests/fixtures/onec), УТ 11 adds ``ИндивидуальныйПредприниматель`` and
        ``ЮрЛицоНеРезидент``: read alike, so a person of those bases is not shown as a company.
        """
        inn = (inn or "").strip()
        if legal_form in ("ЮрЛицо", "ЮридическоеЛицо", "ЮрЛицоНеРезидент"):
            return cls.LEGAL_ENTITY
        if legal_form == "ИндивидуальныйПредприниматель":
            return cls.SOLE_PROPRIETOR
        if legal_form in ("ФизЛицо", "ФизическоеЛицо"):
            return cls.SOLE_PROPRIETOR if len(inn) == 12 else cls.INDIVIDUAL
        if legal_form == "":
            if len(inn) == 10:
                return cls.LEGAL_ENTITY
            return cls.SOLE_PROPRIETOR if len(inn) == 12 else cls.INDIVIDUAL
        raise ValueError(f"unknown 1C ЮрФизЛицо value {legal_form!r}")


def validate_client(
    *,
    kind: ClientKind,
    name: str,
    inn: str = "",
    kpp: str = "",
    phones: Iterable[str] = (),
    email: str = "",
) -> dict[str, Problem]:
    """Problems with a client card, as ``{field: problem}``; empty dict when it can be saved.

    Field keys are the :class:`tui_crm.domain.models.Client` attribute names: ``name``,
    ``inn``, ``kpp``, ``phones``, ``email``. Rules: a name (≤ 100 characters, 1C's limit);
    ИНН of 10 digits for a company, 12 for a sole proprietor, 12 or empty for an individual;
    КПП required for a company and empty otherwise; every phone recognisable; e-mail optional
    but well-formed. A bad phone after the first comes wrapped as ``IN_PHONE`` with its number.
    """
    problems: dict[str, Problem] = {}

    clean_name = (name or "").strip()
    if not clean_name:
        problems["name"] = problem(Code.NAME_EMPTY)
    elif len(clean_name) > NAME_MAX_LENGTH:
        problems["name"] = problem(Code.NAME_TOO_LONG, max_length=NAME_MAX_LENGTH)

    clean_inn = (inn or "").strip()
    if not clean_inn:
        if kind.inn_required:
            problems["inn"] = problem(Code.INN_REQUIRED, kind=kind, length=kind.inn_length)
    else:
        found = validate_inn(clean_inn)
        if found is None and len(clean_inn) != kind.inn_length:
            found = problem(
                Code.INN_LENGTH_FOR_KIND, kind=kind, expected=kind.inn_length, length=len(clean_inn)
            )
        if found is not None:
            problems["inn"] = found

    clean_kpp = (kpp or "").strip()
    if kind.has_kpp:
        found = validate_kpp(clean_kpp)
        if found is not None:
            problems["kpp"] = found
    elif clean_kpp:
        problems["kpp"] = problem(Code.KPP_NOT_ALLOWED, kind=kind)

    for number, phone in enumerate(phones, start=1):
        if not (phone or "").strip():
            continue
        found = validate_phone(phone)
        if found is not None:
            if number > 1:
                found = problem(Code.IN_PHONE, n=number, problem=found)
            problems["phones"] = found
            break

    clean_email = (email or "").strip()
    if clean_email:
        found = validate_email(clean_email)
        if found is not None:
            problems["email"] = found

    return problems
