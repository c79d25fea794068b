"""Phones, ИНН/КПП checksums, e-mail, legal forms and client-card validation."""

from __future__ import annotations

import pytest

from tui_crm.domain.problems import Code, Problem
from tui_crm.domain.validation import (
    ClientKind,
    inn_checksum_ok,
    make_valid_inn,
    normalize_phone,
    phone_matches,
    phone_search_key,
    validate_client,
    validate_email,
    validate_inn,
    validate_kpp,
)


@pytest.mark.parametrize(
    "text",
    ["+7 (912) 345-67-89", "8 912 345 67 89", "89123456789", "9123456789", "79123456789",
     "8-912-345-67-89", " +79123456789 "],
)
def test_russian_phone_forms(text: str) -> None:
    assert normalize_phone(text) == "+79123456789"


def test_landline_and_foreign_phones() -> None:
    assert normalize_phone("(495) 123-45-67") == "+74951234567"
    assert normalize_phone("8 800 555 35 35") == "+78005553535"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"
    assert normalize_phone("+375 (29) 123-45-67") == "+375291234567"


@pytest.mark.parametrize(
    "text",
    ["", "abc", "12345", "+7 912", "+7 912 345 67 89 0", "1234567890", "912-34-56 доб. 5", "+1234567",
     "9123456789012345"],
)
def test_garbage_phones(text: str) -> None:
    assert normalize_phone(text) is None


def test_phone_search_key() -> None:
    assert phone_search_key("912 34") == "91234"
    assert phone_search_key("+7 (912) 345-67-89") == "9123456789"
    assert phone_search_key("8 912 345 67 89") == "9123456789"
    assert phone_search_key("+44 20") == "4420"
    assert phone_search_key("8912") == "8912"  # short: the 8 may be inside the number


def test_phone_matches_partial() -> None:
    stored = "+79123456789"
    assert phone_matches("912 34", stored)
    assert phone_matches("345-67", stored)
    assert phone_matches("8 912 345 67 89", stored)
    assert phone_matches("+7 912", stored)
    assert not phone_matches("913", stored)
    assert not phone_matches("", stored)


@pytest.mark.parametrize("inn", ["7707083893", "500100732259", "7736050003", " 7707083893 "])
def test_valid_inn(inn: str) -> None:
    assert validate_inn(inn) is None


@pytest.mark.parametrize(
    "inn, expected",
    [
        ("7707083894", Problem(Code.INN_CHECKSUM)),
        ("500100732258", Problem(Code.INN_CHECKSUM)),
        ("500100732249", Problem(Code.INN_CHECKSUM)),  # 11th digit wrong
        ("770708389", Problem(Code.INN_WRONG_LENGTH, {"length": 9})),
        ("77070838931", Problem(Code.INN_WRONG_LENGTH, {"length": 11})),
        ("77070838Э3", Problem(Code.INN_NOT_DIGITS)),
        ("", Problem(Code.INN_EMPTY)),
        ("0000000000", Problem(Code.INN_REGION_00)),
    ],
)
def test_invalid_inn(inn: str, expected: Problem) -> None:
    assert validate_inn(inn) == expected


def test_make_valid_inn() -> None:
    assert make_valid_inn("770708389") == "7707083893"
    assert make_valid_inn("5001007322") == "500100732259"
    for seed in ("123456789", "987654321", "1234567890", "7743013901"):
        inn = make_valid_inn(seed)
        assert inn_checksum_ok(inn) and inn.startswith(seed)
    with pytest.raises(ValueError):
        make_valid_inn("12345")
    with pytest.raises(ValueError):
        make_valid_inn("12345678a")


def test_checksum_catches_typos() -> None:
    inn = "7707083893"
    # any other check digit is refused
    assert all(not inn_checksum_ok(inn[:9] + d) for d in "0123456789" if d != inn[9])
    # a mod-11-mod-10 check cannot catch every typo, but it catches most single-digit ones
    mutations = [inn[:i] + d + inn[i + 1 :] for i in range(9) for d in "0123456789" if d != inn[i]]
    caught = sum(not inn_checksum_ok(m) for m in mutations)
    assert caught / len(mutations) > 0.8


@pytest.mark.parametrize("kpp", ["773601001", "7736AB001", "500101001"])
def test_valid_kpp(kpp: str) -> None:
    assert validate_kpp(kpp) is None


@pytest.mark.parametrize(
    "kpp, code",
    [("77360100", Code.KPP_WRONG_LENGTH), ("7736010011", Code.KPP_WRONG_LENGTH),
     ("7736ab001", Code.KPP_FORMAT), ("A73601001", Code.KPP_FORMAT), ("773601ABC", Code.KPP_FORMAT),
     ("", Code.KPP_EMPTY)],
)
def test_invalid_kpp(kpp: str, code: Code) -> None:
    found = validate_kpp(kpp)
    assert found is not None and found.code is code
    if code is Code.KPP_WRONG_LENGTH:
        assert found.params == {"length": len(kpp)}


@pytest.mark.parametrize("email", ["info@example.ru", "ivan.petrov+crm@mail.example.com", "почта@пример.рф"])
def test_valid_email(email: str) -> None:
    assert validate_email(email) is None


@pytest.mark.parametrize(
    "email", ["", "a@b", "a b@c.ru", "a@@b.ru", "@b.ru", "a@-b.ru", "a..b@c.ru", "a@b..ru", ".a@b.ru"]
)
def test_invalid_email(email: str) -> None:
    expected = Problem(Code.EMAIL_INVALID, {"text": email}) if email else Problem(Code.EMAIL_EMPTY)
    assert validate_email(email) == expected


def test_client_kind_mapping() -> None:
    assert ClientKind.LEGAL_ENTITY.onec_legal_form == "ЮрЛицо"
    assert ClientKind.SOLE_PROPRIETOR.onec_legal_form == "ФизЛицо"
    assert ClientKind.INDIVIDUAL.onec_legal_form == "ФизЛицо"
    assert ClientKind.LEGAL_ENTITY.inn_length == 10
    assert ClientKind.SOLE_PROPRIETOR.inn_length == 12
    assert not ClientKind.INDIVIDUAL.inn_required
    assert ClientKind.from_onec("ЮрЛицо") is ClientKind.LEGAL_ENTITY
    assert ClientKind.from_onec("ФизЛицо", "500100732259") is ClientKind.SOLE_PROPRIETOR
    assert ClientKind.from_onec("ФизЛицо", "") is ClientKind.INDIVIDUAL
    assert ClientKind.from_onec("", "7707083893") is ClientKind.LEGAL_ENTITY
    with pytest.raises(ValueError):
        ClientKind.from_onec("Иное")


def test_client_kind_from_the_legal_form_names_of_bp3_and_ut11() -> None:
    """БП 3 sends `ЮридическоеЛицо` / `ФизическоеЛицо` (a real row: tests/fixtures/onec), УТ 11
    `ИндивидуальныйПредприниматель` and `ЮрЛицоНеРезидент`; a person must not become a company."""
    assert ClientKind.from_onec("ЮридическоеЛицо", "5024089920") is ClientKind.LEGAL_ENTITY
    assert ClientKind.from_onec("ФизическоеЛицо", "500100732259") is ClientKind.SOLE_PROPRIETOR
    assert ClientKind.from_onec("ФизическоеЛицо", "") is ClientKind.INDIVIDUAL
    assert ClientKind.from_onec("ИндивидуальныйПредприниматель", "500100732259") is ClientKind.SOLE_PROPRIETOR
    assert ClientKind.from_onec("ЮрЛицоНеРезидент", "") is ClientKind.LEGAL_ENTITY


def test_validate_client_ok() -> None:
    sber = validate_client(
        kind=ClientKind.LEGAL_ENTITY,
        name="ПАО Сбербанк",
        inn="7707083893",
        kpp="773601001",
        phones=["+7 495 500-55-50"],
        email="info@sberbank.ru",
    )
    assert sber == {}
    assert validate_client(kind=ClientKind.SOLE_PROPRIETOR, name="ИП Иванов", inn="500100732259") == {}
    assert validate_client(kind=ClientKind.INDIVIDUAL, name="Иванов Иван") == {}
    assert validate_client(kind=ClientKind.INDIVIDUAL, name="Иванов Иван", inn="500100732259") == {}


def test_validate_client_problems() -> None:
    problems = validate_client(
        kind=ClientKind.LEGAL_ENTITY,
        name=" ",
        inn="500100732259",
        kpp="",
        phones=["+7 912 345-67-89", "abc"],
        email="bad",
    )
    assert problems == {
        "name": Problem(Code.NAME_EMPTY),
        "inn": Problem(
            Code.INN_LENGTH_FOR_KIND, {"kind": ClientKind.LEGAL_ENTITY, "expected": 10, "length": 12}
        ),
        "kpp": Problem(Code.KPP_EMPTY),
        "phones": Problem(Code.IN_PHONE, {"n": 2, "problem": Problem(Code.PHONE_INVALID, {"text": "abc"})}),
        "email": Problem(Code.EMAIL_INVALID, {"text": "bad"}),
    }
    assert problems["phones"].innermost == Problem(Code.PHONE_INVALID, {"text": "abc"})


def test_validate_client_kind_rules() -> None:
    sole, person = ClientKind.SOLE_PROPRIETOR, ClientKind.INDIVIDUAL
    assert validate_client(kind=sole, name="ИП", inn="")["inn"] == Problem(
        Code.INN_REQUIRED, {"kind": sole, "length": 12}
    )
    assert validate_client(kind=sole, name="ИП", inn="7707083893")["inn"].code is Code.INN_LENGTH_FOR_KIND
    assert validate_client(kind=person, name="Физлицо", inn="7707083893")["inn"].code is Code.INN_LENGTH_FOR_KIND
    assert validate_client(kind=sole, name="ИП", inn="500100732259", kpp="773601001")["kpp"] == Problem(
        Code.KPP_NOT_ALLOWED, {"kind": sole}
    )
    assert validate_client(kind=person, name="x" * 101)["name"] == Problem(Code.NAME_TOO_LONG, {"max_length": 100})
    assert validate_client(kind=person, name="A", phones=["x"])["phones"] == Problem(
        Code.PHONE_INVALID, {"text": "x"}
    )
    assert validate_client(kind=ClientKind.INDIVIDUAL, name="A", phones=["", "  "]) == {}
