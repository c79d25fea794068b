"""Posting: what a document writes to which register, and the checks every configuration shares.

The rules themselves are per configuration (`Configuration.posters`, e.g. `configs/ka1.py`);
this module dispatches to them and holds the helpers they share. Why this lives apart from the
HTTP layer: posting is the accounting side's business logic
(the part a real 1C runs in `ОбработкаПроведения`). It validates like 1C does — missing
counterparty, unknown product, stock that would go negative — and raises `PostError` with a
Russian message, which the app turns into HTTP 500 / code -1, exactly how 1C reports it.
"""

from __future__ import annotations

from decimal import Decimal

from .schema import EMPTY_REF
from .state import SandboxState


class PostError(Exception):
    """Posting refused; the message is what the 1C user would see."""


def filled(v) -> bool:
    return bool(v) and v != EMPTY_REF


def need_ref(st: SandboxState, rec: dict, field: str, target: str, title: str) -> dict:
    v = rec.get(field)
    if not filled(v):
        raise PostError(f"Не заполнено значение реквизита \"{title}\"")
    obj = st.get(target, v)
    if obj is None:
        raise PostError(f"Реквизит \"{title}\": объект не найден ({v})")
    return obj


def check_goods(st: SandboxState, rec: dict, tp: str = "Товары") -> list[tuple[dict, dict]]:
    rows = rec.get(tp) or []
    if not rows:
        raise PostError(f"Не заполнена табличная часть \"{tp}\"")
    out = []
    for r in rows:
        n = r.get("LineNumber")
        prod = st.get("Catalog_Номенклатура", r.get("Номенклатура_Key"))
        if prod is None or prod.get("IsFolder"):
            raise PostError(f"Строка {n} табличной части \"{tp}\": не заполнена или не найдена "
                            "номенклатура")
        if Decimal(r.get("Количество") or 0) <= 0:
            raise PostError(f"Строка {n} табличной части \"{tp}\": не заполнено количество")
        out.append((r, prod))
    return out


def post_document(st: SandboxState, set_name: str, rec: dict) -> None:
    """(Re)write all movements of `rec`. On PostError nothing has changed."""
    fn = st.config.posters.get(set_name)
    if fn is None:
        raise PostError("Документ не может быть проведен")
    ref = rec["Ref_Key"]
    fn(st, rec, ref)


def unpost_document(st: SandboxState, set_name: str, rec: dict) -> None:
    ref = rec["Ref_Key"]
    for name, reg in st.acc.items():
        if ref in reg.movements:
            reg.clear(ref)
            st.bump("acc:" + name)
    if ref in st.prices.by_recorder:
        st.prices.remove_recorder(ref)
        st.bump("prices")


def write(st: SandboxState, reg: str, ref: str, records) -> None:
    st.acc[reg].write(ref, records)
    st.bump("acc:" + reg)


def write_prices(st: SandboxState, ref: str, records: list[dict]) -> None:
    """The prices document `ref` now sets exactly `records` in the periodic prices register."""
    st.prices.remove_recorder(ref)
    for p in records:
        st.prices.add(p, recorder=ref)
    st.bump("prices")


def qty_text(v: Decimal) -> str:
    s = format(v.normalize(), "f")
    return s


