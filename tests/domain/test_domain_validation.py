"""Phones, ИНН/КПП checksums, e-mail, legal forms and client-card validation."""

from __future__ import annotations

import pytest

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
    ["+7 (912) 345-67-89", "8 912 345 67 89", "89123456789", "9123456789", "79123456789", "8-912-345-67-89", " +79123456789 "],
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
    ["", "abc", "12345", "+7 912", "+7 912 345 67 89 0", "1234567890", "912-34-56 доб. 5", "+1234567", "9123456789012345"],
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
    "inn, fragment",
    [
        ("7707083894", "check digit"),
        ("500100732258", "check digit"),
        ("500100732249", "check digit"),  # 11th digit wrong
        ("770708389", "10 digits"),
        ("77070838931", "10 digits"),
        ("77070838Э3", "digits only"),
        ("", "Enter"),
        ("0000000000", "00"),
    ],
)
def test_invalid_inn(inn: str, fragment: str) -> None:
    message = validate_inn(inn)
    assert message is not None and fragment in message


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


@pytest.mark.parametrize("kpp", ["77360100", "7736010011", "7736ab001", "A73601001", "773601ABC", ""])
def test_invalid_kpp(kpp: str) -> None:
    assert validate_kpp(kpp) is not None


@pytest.mark.parametrize("email", ["info@example.ru", "ivan.petrov+crm@mail.example.com", "почта@пример.рф"])
def test_valid_email(email: str) -> None:
    assert validate_email(email) is None


@pytest.mark.parametrize("email", ["", "a@b", "a b@c.ru", "a@@b.ru", "@b.ru", "a@-b.ru", "a..b@c.ru", "a@b..ru", ".a@b.ru"])
def test_invalid_email(email: str) -> None:
    assert validate_email(email) is not None


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
    assert set(problems) == {"name", "inn", "kpp", "phones", "email"}
    assert "10-digit" in problems["inn"]
    assert problems["phones"].startswith("Phone 2:")


def test_validate_client_kind_rules() -> None:
    assert "inn" in validate_client(kind=ClientKind.SOLE_PROPRIETOR, name="ИП", inn="")
    assert "inn" in validate_client(kind=ClientKind.SOLE_PROPRIETOR, name="ИП", inn="7707083893")
    assert "inn" in validate_client(kind=ClientKind.INDIVIDUAL, name="Физлицо", inn="7707083893")
    assert "kpp" in validate_client(kind=ClientKind.SOLE_PROPRIETOR, name="ИП", inn="500100732259", kpp="773601001")
    assert "name" in validate_client(kind=ClientKind.INDIVIDUAL, name="x" * 101)
    assert validate_client(kind=ClientKind.INDIVIDUAL, name="A", phones=["", "  "]) == {}
