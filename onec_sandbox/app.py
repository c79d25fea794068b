"""The OData endpoint: a Starlette app that answers like a 1C base's standard.odata.

The platform's part, shared by every configuration: what the base holds (entity sets, posting
rules) comes from the state's `Configuration` (`onec_sandbox.configs`).

Why one catch-all route with a hand-written URL parser: 1C's resource paths are not REST
paths (`Catalog_X(guid'…')/Post`, `…/Balance(Period=datetime'…',Condition='A eq guid'…'')`
with unescaped quotes nested inside quotes, `/` inside conditions), so Starlette's path
converters cannot split them. Every error leaves as a 1C `odata.error` body, never a bare 500.
"""

from __future__ import annotations

import json
import re
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import quote, unquote

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from . import expr as X
from .body import BodyError, parse_json, read_body
from .faults import AuthMiddleware, FaultMiddleware, Faults, ServerTimingMiddleware
from .posting import PostError, post_document, unpost_document
from .publication import Publication
from .schema import (
    EMPTY_DATE,
    EMPTY_REF,
    TYPE_PREFIX,
    UNDEFINED_TYPE,
    EntityDef,
    FieldType,
    catalog_code,
)
from .state import SandboxState, money, now_str

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")

class ODataError(Exception):
    """An answer in 1C's error format: HTTP status + 1C code + Russian message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def error_response(status: int, code: str, message: str) -> Response:
    body = {"odata.error": {"code": code, "message": {"lang": "ru", "value": message}}}
    return Response(json.dumps(body, ensure_ascii=False), status_code=status,
                    media_type="application/json;charset=utf-8")


def _json_default(v):
    if isinstance(v, Decimal):
        return int(v) if v == v.to_integral_value() else float(v)
    raise TypeError(type(v))


def json_response(data: Any, status: int = 200, headers: dict | None = None) -> Response:
    body = json.dumps(data, ensure_ascii=False, default=_json_default, separators=(",", ":"))
    return Response(body, status_code=status, headers=headers,
                    media_type="application/json;odata=minimalmetadata;charset=utf-8")


# ---- URL parsing ---------------------------------------------------------------------------


def split_path(path: str) -> list[tuple[str, str | None]]:
    """`A(x)/B/C(y)` → [("A","x"),("B",None),("C","y")], respecting quotes and parentheses."""
    segs: list[str] = []
    cur: list[str] = []
    depth, quote = 0, False
    for ch in path:
        if ch == "'":
            quote = not quote
        elif not quote and ch == "(":
            depth += 1
        elif not quote and ch == ")":
            depth -= 1
        elif ch == "/" and depth == 0 and not quote:
            segs.append("".join(cur))
            cur = []
            continue
        cur.append(ch)
    segs.append("".join(cur))
    out: list[tuple[str, str | None]] = []
    for s in segs:
        if not s:
            continue
        i = s.find("(")
        if i >= 0:
            if not s.endswith(")"):
                raise ODataError(400, "6", f"Неверный URL: {s}")
            out.append((s[:i], s[i + 1:-1]))
        else:
            out.append((s, None))
    return out


_PARAM_SPLIT = re.compile(r",\s*(?=(?:Period|Condition|Dimensions|StartPeriod|EndPeriod|"
                          r"AccountCondition|ExtraDimensions)\s*=)")


def parse_vt_args(text: str | None) -> dict[str, str]:
    """Arguments of a virtual-table function, inline form. Values keep their literal syntax."""
    if not text or not text.strip():
        return {}
    out = {}
    for part in _PARAM_SPLIT.split(text):
        if "=" not in part:
            raise ODataError(400, "14", f"Неверный параметр виртуальной таблицы: {part}")
        k, v = part.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def unquote_literal(v: str) -> str:
    v = v.strip()
    if len(v) >= 2 and v[0] == "'" and v[-1] == "'":
        return v[1:-1]
    return v


def parse_period(v: str | None) -> str | None:
    if v is None or v == "":
        return None
    v = v.strip()
    m = re.fullmatch(r"datetime'([^']*)'", v)
    raw = m.group(1) if m else unquote_literal(v)
    try:
        return X._norm_date(raw)
    except X.ExprError as e:
        raise ODataError(400, "14", str(e)) from None


def parse_query(qs: bytes) -> dict[str, str]:
    """Percent-decoding only: `+` stays `+` (1C wants %20 for spaces)."""
    out: dict[str, str] = {}
    for part in qs.decode("latin-1").split("&"):
        if not part:
            continue
        k, _, v = part.partition("=")
        k = unquote(k, encoding="utf-8")
        v = unquote(v, encoding="utf-8")
        out[k] = v
    return out


_KNOWN_OPTIONS = {"$format", "$select", "$filter", "$top", "$skip", "$orderby", "$expand",
                  "$inlinecount", "$count", "$allowedOnly", "$callback", "$skiptoken"}


# ---- the app -------------------------------------------------------------------------------


#: Keys of a body that are OData annotations, not properties: 1C's own examples send
#: `odata.metadata` and `ТорговыеЗалы@odata.type`; `X____Presentation` is a read-only field.
def _annotation(key: str) -> bool:
    return "@" in key or key.startswith("odata.") or key.endswith("____Presentation")


#: Int32 / Int64 ranges of 1C's integer properties.
_INT_RANGE = {"i": (-2**31, 2**31 - 1), "l": (-2**63, 2**63 - 1)}


class ODataApp:
    """Request handling bound to one state and one base name.

    `strict_properties`: a body property the entity does not have is refused (400, code 10).
    Real 1C ignores such properties (vendor docs 8.3.27, §17.4.13.1.2-3); the sandbox refuses
    them by default so a client that misspells a property learns it in tests instead of
    losing the value silently. `False` behaves like 1C.

    `ignore_if_match`: a stale `If-Match` on PATCH/PUT/DELETE is ignored and the write is
    carried out, as live bases were found to do (hacker-cb/1c-odata); the vendor's chapter says
    412, which is the default here.
    """

    def __init__(self, state: SandboxState, base: str, strict_properties: bool = True,
                 ignore_if_match: bool = False, publication: Publication | None = None):
        self.state = state
        self.base = base
        self.strict_properties = strict_properties
        self.ignore_if_match = ignore_if_match
        self.publication = publication if publication is not None else Publication()
        self.faults: Faults | None = None   # `Faults.omit` leaves fields out of answer rows
        #: the configuration's entity sets and virtual tables (see `onec_sandbox.configs`)
        self.entities = state.config.schema.entities

    # entry point ------------------------------------------------------------------------------

    async def handle(self, request: Request) -> Response:
        if request.path_params.get("base") != self.base:
            return error_response(404, "6", "Информационная база не найдена")
        rest = request.path_params.get("rest", "")
        try:
            query = parse_query(request.scope.get("query_string", b""))
            body = None
            if request.method in ("POST", "PATCH", "PUT"):
                raw = await read_body(request)
                if raw.strip():
                    body = parse_json(raw)
            with self.state.lock:
                try:
                    resp = self.dispatch(request, rest, query, body)
                finally:
                    self.state.commit()
            return resp
        except (ODataError, BodyError) as e:
            return error_response(e.status, e.code, e.message)
        except X.UnknownProperty as e:
            return error_response(400, "10", f"Не найдено свойство '{e.args[0]}'")
        except X.ExprError as e:
            return error_response(400, "14", f"Ошибка разбора параметра запроса: {e}")
        except Exception as e:  # noqa: BLE001 - 1C answers internal failures with code -1
            return error_response(500, "-1", "Произошла внутренняя ошибка OData сервиса. "
                                  f"Дополнительные сведения можно найти в технологическом журнале. "
                                  f"({type(e).__name__}: {e})")

    def metadata_url(self, request: Request) -> str:
        root = str(request.base_url).rstrip("/")
        return f"{root}/{self.base}/odata/standard.odata/$metadata"

    def dispatch(self, request: Request, rest: str, query: dict[str, str], body) -> Response:
        for k in query:
            if k.startswith("$") and k not in _KNOWN_OPTIONS:
                raise ODataError(400, "14", f"Неизвестный параметр запроса {k}")
        fmt = query.get("$format", "")
        accept = request.headers.get("accept", "")
        want_json = fmt.startswith(("json", "application/json")) or \
            (not fmt and "application/json" in accept)
        nometa = "nometadata" in fmt or "nometadata" in accept
        segs = split_path(rest)
        if not segs:
            if request.method != "GET":
                raise ODataError(405, "19", "Метод не поддерживается")
            return json_response({"odata.metadata": self.metadata_url(request),
                                  "value": [{"name": n, "url": n} for n, e in self.entities.items()
                                            if e.kind in ("catalog", "document", "tabular",
                                                          "inforeg")
                                            and self.publication.published(n)]})
        if segs[0][0] == "$metadata":
            return Response(self.publication.csdl(self.entities),
                            media_type="application/xml;charset=utf-8")
        # an object left out of the composition is unknown to 1C (publication.py)
        if not self.publication.published(segs[0][0]):
            raise ODataError(400, "6", f"Сущность '{segs[0][0]}' не найдена")
        if not self.publication.readable(segs[0][0]):
            raise ODataError(403, "20", "Недостаточно прав для выполнения операции над объектом")
        hidden = self.publication.hidden_field(segs[0][0], query)
        if hidden:
            raise ODataError(400, "10", f"Не найдено свойство '{hidden}'")
        if not want_json and request.method == "GET":
            raise ODataError(406, "3", "Формат ответа не поддерживается песочницей: укажите "
                             "$format=json или Accept: application/json")
        self.nometa = nometa
        name, args = segs[0]
        ent = self.entities.get(name)
        meta = self.metadata_url(request)
        m = request.method
        # virtual tables ------------------------------------------------------------------------
        if name.startswith(("AccumulationRegister_", "AccountingRegister_")) or \
                name.endswith("_RecordType"):
            if len(segs) < 2:
                raise ODataError(400, "6", f"Сущность '{name}' не найдена")
            fname, fargs = segs[1]
            vt = self.entities.get(f"{name}/{fname}")
            if vt is None:
                raise ODataError(400, "6", f"Не найдена функция '{fname}' сущности '{name}'")
            if m != "GET":
                raise ODataError(405, "19", "Метод не поддерживается для виртуальной таблицы")
            params = parse_vt_args(fargs)
            for k in ("Period", "Condition", "Dimensions", "AccountCondition"):
                if k in query and k not in params:
                    params[k] = query[k]
            if len(segs) > 2:
                raise ODataError(400, "6", "Неверный URL")
            return self.get_collection(request, vt, query, meta + "#" + vt.name.replace("/", "_"),
                                       vt_params=params)
        if ent is None or ent.kind not in ("catalog", "document", "tabular", "inforeg"):
            raise ODataError(400, "6", f"Сущность '{name}' не найдена")
        if args is None:
            if len(segs) == 2 and segs[1][0] == "$count" and m == "GET":
                rows = self.query_rows(ent, query, None)
                return Response(str(len(rows)), media_type="text/plain;charset=utf-8")
            if len(segs) > 1:
                raise ODataError(400, "6", f"Неверный URL: {rest}")
            if m == "GET":
                return self.get_collection(request, ent, query, meta + "#" + name)
            if m == "POST":
                if ent.kind == "tabular":
                    raise ODataError(400, "13", "Cоздание строк табличной части напрямую не "
                                     "поддерживается")
                if ent.kind == "inforeg":
                    return self.post_contact(request, ent, body, meta)
                return self.create(request, ent, body, meta)
            raise ODataError(405, "19", "Метод не поддерживается")
        # single entity ---------------------------------------------------------------------------
        if ent.kind == "tabular":
            raise ODataError(400, "0", "Обращение к строке табличной части по ключу не поддерживается")
        if ent.kind == "inforeg":
            return self.contact_by_key(request, ent, args, body, meta)
        ref = self.parse_key(args)
        rec = self.state.get(name, ref)
        if rec is None:
            raise ODataError(404, "9", f"Экземпляр сущности \"{name}\" не найден по переданному "
                             "ключу.")
        if len(segs) == 2 and m == "POST" and segs[1][0] in ("Post", "Unpost"):
            return self.post_action(ent, rec, segs[1][0], query)
        if len(segs) == 2 and m == "GET":
            prop = segs[1][0]
            if prop not in ent.fields and prop not in ent.table_parts:
                raise ODataError(400, "10", f"Не найдено свойство '{prop}'")
            return json_response({"odata.metadata": f"{meta}#{name}/{prop}",
                                  "value": self.render(ent, rec, None, None)[prop]})
        if len(segs) > 1:
            raise ODataError(400, "6", f"Неверный URL: {rest}")
        if m == "GET":
            if "$expand" in query:
                raise ODataError(400, "14", "$expand не поддерживается при получении одного "
                                 "объекта")
            return self.entity_response(ent, rec, meta, query.get("$select"))
        if m in ("PATCH", "PUT"):
            self.check_if_match(request, rec)
            return self.update(ent, rec, body, meta, replace=(m == "PUT"))
        if m == "DELETE":
            self.check_if_match(request, rec)
            if ent.kind == "document" and rec.get("Posted"):
                unpost_document(self.state, name, rec)
            self.state.delete(name, rec["Ref_Key"])
            return Response(status_code=204)
        raise ODataError(405, "19", "Метод не поддерживается")

    # keys -------------------------------------------------------------------------------------

    @staticmethod
    def parse_key(args: str) -> str:
        a = args.strip()
        m = re.fullmatch(r"(?:Ref_Key\s*=\s*)?guid'([^']*)'", a)
        if not m:
            raise ODataError(400, "7", f"Неверный ключ сущности: {args}")
        g = m.group(1)
        if not GUID_RE.match(g):
            raise ODataError(400, "4", f"Неверное значение ключа: {g}")
        return g.lower()

    def check_if_match(self, request: Request, rec: dict) -> None:
        im = request.headers.get("if-match")
        if self.ignore_if_match or not im or im.strip() == "*":
            return
        v = im.strip()
        if v.startswith("W/"):
            v = v[2:]
        v = v.strip('"')
        if v != rec.get("DataVersion"):
            raise ODataError(412, "-1", "Версия объекта не совпадает с переданной (If-Match): "
                             "объект изменен или удален другим пользователем")

    # reading ----------------------------------------------------------------------------------

    def scope_for(self, ent: EntityDef) -> X.Scope:
        st = self.state

        def resolver(target: str, ref: str | None):
            return st.get(target, ref) if target in st.objects else None

        def schema_of(target: str):
            e = self.entities.get(target)
            return e.fields if e else None
        return X.Scope(ent.fields, ent.table_parts, resolver, schema_of)

    def source_rows(self, ent: EntityDef, vt_params: dict[str, str] | None) -> tuple[tuple, Any]:
        """(cache key part, builder) of the unfiltered rows of an entity or virtual table."""
        st = self.state
        if ent.kind in ("catalog", "document"):
            return (ent.name, st.version(ent.name)), lambda: list(st.objects[ent.name].values())
        if ent.kind == "tabular":
            parent, tp = ent.parent, ent.tp_name
            assert parent is not None  # a table part's set always names its document's

            def rows():
                return [r for d in st.objects[parent].values() for r in d.get(tp) or ()]
            return (ent.name, st.version(parent)), rows
        if ent.kind == "inforeg":
            return (ent.name, st.version("contacts")), lambda: list(st.contacts.values())
        params = vt_params or {}
        accounting = ent.name.startswith("AccountingRegister_")
        unknown = set(params) - {"Period", "Condition", "Dimensions"} - (
            {"AccountCondition"} if accounting else set())
        if unknown:
            raise ODataError(400, "12", f"Неизвестный параметр виртуальной таблицы: "
                             f"{', '.join(sorted(unknown))}")
        period = parse_period(params.get("Period"))
        cond_text = unquote_literal(params.get("Condition", "")) if params.get("Condition") else ""
        node = None
        if cond_text:
            try:
                node = X.parse(cond_text)
            except X.ExprError:
                node = X.parse(cond_text.replace("''", "'"))
        scope = self.scope_for(ent)
        pred = None
        if node is not None:
            f = X.compile_expr(node, scope)
            pred = lambda row: f((row, {})) is True  # noqa: E731
        account_text = unquote_literal(params["AccountCondition"]) if params.get("AccountCondition") else ""
        if account_text:
            # the accounts' own condition (`Account_Key eq guid'…'`), ANDed with Condition
            try:
                acc_node = X.parse(account_text)
            except X.ExprError:
                acc_node = X.parse(account_text.replace("''", "'"))
            g = X.compile_expr(acc_node, scope)
            cond_pred = pred
            pred = lambda row: g((row, {})) is True and (cond_pred is None or cond_pred(row))  # noqa: E731
            cond_text = f"{cond_text}|{account_text}"
        if ent.kind == "balance":
            regname = ent.name.split("/")[0].removeprefix("AccumulationRegister_").removeprefix(
                "AccountingRegister_")
            reg = st.acc[regname]
            dims = None
            if params.get("Dimensions"):
                dims = [d.strip() for d in unquote_literal(params["Dimensions"]).split(",")]
                for d in dims:
                    if d not in reg.dims:
                        raise ODataError(400, "10", f"Не найдено измерение '{d}'")
            restrict = X.eq_guid_candidates(node, set(reg.index)) if node is not None else None
            key = (ent.name, st.version("acc:" + regname), period, cond_text, tuple(dims or ()))
            return key, lambda: reg.rows(period, dims, restrict, pred)
        # slice
        first = ent.name.endswith("SliceFirst")
        restrict = X.eq_guid_candidates(node, set(st.prices.index)) if node is not None else None
        slice_key = (ent.name, st.version("prices"), period, cond_text)
        return slice_key, lambda: st.prices.slice(period, first, restrict, pred)

    def query_rows(self, ent: EntityDef, query: dict[str, str], vt_params) -> list[dict]:
        """Rows after Condition, $filter and $orderby; cached per data version."""
        st = self.state
        src_key, build = self.source_rows(ent, vt_params)
        flt = query.get("$filter", "")
        order = query.get("$orderby", "")
        scope = self.scope_for(ent)
        pred = X.compile_filter(flt, scope) if flt else None
        keys = X.parse_orderby(order, scope) if order else []
        cache_key = (*src_key, flt, order)

        def full():
            rows = st.cached((*src_key, "", ""), build) if (flt or order) else build()
            if pred is not None:
                rows = [r for r in rows if pred(r)]
            elif flt or order:
                rows = list(rows)
            for f, desc in reversed(keys):
                rows.sort(key=lambda r: X.sort_key(f(r)), reverse=desc)  # used before the loop moves on
            return rows
        return st.cached(cache_key, full)

    def get_collection(self, request: Request, ent: EntityDef, query: dict[str, str], meta: str,
                       vt_params: dict[str, str] | None = None) -> Response:
        rows = self.query_rows(ent, query, vt_params)
        select = self.parse_select(ent, query.get("$select"))
        expand = self.parse_expand(ent, query.get("$expand"))
        inline = query.get("$inlinecount")
        out: dict[str, Any] = {}
        if not self.nometa:
            out["odata.metadata"] = meta
        if inline is not None and inline not in ("allpages", "none"):
            raise ODataError(400, "14", "Неверное значение $inlinecount")
        if inline == "allpages":
            out["odata.count"] = str(len(rows))
            page = rows  # like 1C: $inlinecount switches $top/$skip off
        else:
            skip = self.int_option(query, "$skip")
            top = self.int_option(query, "$top")
            page = rows[skip:] if skip else rows
            if top is not None:
                page = page[:top]
        out["value"] = [self.render(ent, r, select, expand) for r in page]
        gaps = self.faults.omitted(ent.name) if self.faults is not None else ()
        for row in out["value"] if gaps else ():
            for f in gaps:
                row.pop(f, None)
        return json_response(out)

    @staticmethod
    def int_option(query: dict[str, str], name: str) -> int | None:
        v = query.get(name)
        if v is None:
            return None
        if not v.strip().isdigit():
            raise ODataError(400, "14", f"Неверное значение параметра {name}: {v}")
        return int(v)

    def parse_select(self, ent: EntityDef, text: str | None):
        """None = everything; else {field: None | set(subfields)} for table parts."""
        if not text:
            return None
        sel: dict[str, set[str] | None] = {}
        for item in (p.strip() for p in text.split(",")):
            if not item:
                raise ODataError(400, "14", "Пустой элемент $select")
            if item == "*":
                return None
            if item == "**":
                for f in ent.fields:
                    sel[f] = None
                continue
            if "/" in item:
                head, sub = item.split("/", 1)
                if head in ent.table_parts:
                    if sub not in ent.table_parts[head] and sub != "*":
                        raise ODataError(400, "10", f"Не найдено свойство '{item}'")
                    cur = sel.get(head)
                    if head in sel and cur is None:
                        continue
                    s = cur or set()
                    s.add(sub)
                    sel[head] = s
                    continue
                raise ODataError(400, "10", f"Не найдено свойство '{item}'")
            if item in ent.fields or item in ent.table_parts:
                sel[item] = None
                ft = ent.fields.get(item)
                if ft is not None and ft.kind == "c":
                    sel[item + "_Type"] = None
                continue
            raise ODataError(400, "10", f"Не найдено свойство '{item}'")
        return sel

    def parse_expand(self, ent: EntityDef, text: str | None):
        if not text:
            return None
        out: list[tuple[str, str | None]] = []
        for item in (p.strip() for p in text.split(",")):
            ft = ent.fields.get(item + "_Key")
            if ft is None or ft.kind != "r" or not ft.target:
                if item in ent.fields and ent.fields[item].kind == "c":
                    out.append((item, None))
                    continue
                raise ODataError(400, "10", f"Не найдено навигационное свойство '{item}'")
            out.append((item, ft.target))
        return out

    def render(self, ent: EntityDef, rec: dict, select, expand) -> dict:
        if select is None and ent.kind in ("balance", "slice", "inforeg", "tabular"):
            out = dict(rec)
        elif select is None:
            out = {k: rec.get(k) for k in ent.fields}
            for tp in ent.table_parts:
                out[tp] = [dict(r) for r in rec.get(tp) or ()]
            if ent.kind == "catalog":
                # 1C puts Predefined/PredefinedDataName last, after the table parts
                for k in ("Predefined", "PredefinedDataName"):
                    out[k] = out.pop(k)
        else:
            out = {}
            for k, sub in select.items():
                if k in ent.table_parts:
                    rows = rec.get(k) or ()
                    if sub is None or "*" in sub:
                        out[k] = [dict(r) for r in rows]
                    else:
                        out[k] = [{f: r.get(f) for f in ("Ref_Key", "LineNumber", *sorted(sub))}
                                  for r in rows]
                else:
                    out[k] = rec.get(k)
        if expand:
            for nav, target in expand:
                if target is None:
                    t = rec.get(nav + "_Type", "")
                    v = rec.get(nav)
                    tname = t.removeprefix(TYPE_PREFIX)
                    obj = self.state.get(tname, v) if tname in self.state.objects else None
                    out[nav + "_Expanded"] = (self.render(self.entities[tname], obj, None, None)
                                              if obj else None)
                    continue
                obj = self.state.get(target, rec.get(nav + "_Key"))
                out[nav] = self.render(self.entities[target], obj, None, None) if obj else None
        return out

    def entity_response(self, ent: EntityDef, rec: dict, meta: str, select_text: str | None,
                        status: int = 200, headers: dict | None = None) -> Response:
        select = self.parse_select(ent, select_text)
        out: dict[str, Any] = {}
        if not getattr(self, "nometa", False):
            out["odata.metadata"] = f"{meta}#{ent.name}/@Element"
        out.update(self.render(ent, rec, select, None))
        return json_response(out, status=status, headers=headers)

    # writing ----------------------------------------------------------------------------------

    def coerce(self, name: str, ft: FieldType, v: Any, body: dict) -> Any:
        k = ft.kind
        if v is None:
            return ft.default()
        try:
            if k == "r":
                if not isinstance(v, str) or not GUID_RE.match(v):
                    raise ValueError
                return v.lower()
            if k in ("s",):
                if not isinstance(v, str):
                    raise ValueError
                return v
            if k == "e":
                if not isinstance(v, str):
                    raise ValueError
                allowed = self.state.config.enums.get(name)
                if v and allowed is not None and v not in allowed:
                    raise ValueError
                return v
            if k == "b":
                if not isinstance(v, bool):
                    raise ValueError
                return v
            if k == "n":
                if isinstance(v, bool):
                    raise ValueError
                return money(Decimal(str(v)), ft.scale)
            if k in ("i", "l"):
                if isinstance(v, bool):
                    raise ValueError
                d = Decimal(str(v))
                lo, hi = _INT_RANGE[k]
                if not d.is_finite() or d != d.to_integral_value() or not lo <= d <= hi:
                    raise ValueError
                return int(d) if k == "i" else str(int(d))
            if k == "d":
                if not isinstance(v, str) or not DATE_RE.match(v):
                    raise ValueError
                return X._norm_date(v)
            if k == "c":
                t = body.get(name + "_Type")
                if v in ("", EMPTY_REF) and not t:
                    return ""
                if not isinstance(t, str) or not (t.startswith(TYPE_PREFIX) or t == "Edm.String"):
                    raise ODataError(400, "4", f"Не указан или неверен тип значения составного "
                                     f"свойства '{name}' ({name}_Type)")
                if t.startswith(TYPE_PREFIX) and t != UNDEFINED_TYPE:
                    if not isinstance(v, str) or not GUID_RE.match(v):
                        raise ValueError
                    return v.lower()
                return v if isinstance(v, str) else str(v)
            if k == "t":
                t = v
                val = body.get(name[:-5])
                if val in (None, "", EMPTY_REF):
                    return t if isinstance(t, str) and t else UNDEFINED_TYPE
                return t
        except (ValueError, InvalidOperation, TypeError):
            raise ODataError(400, "4", f"Неверное значение свойства '{name}': {v!r}") from None
        return v

    def check_known(self, entity: str, known, body: dict) -> None:
        """Refuse a property `known` does not have (unless `strict_properties` is off)."""
        if not self.strict_properties:
            return
        for key in body:
            if key not in known and not _annotation(key):
                raise ODataError(400, "10", f"Не найдено свойство '{key}' у сущности '{entity}'")

    def apply_body(self, ent: EntityDef, rec: dict, body: dict) -> None:
        """Copy the fields present in `body` into `rec`; a property the entity does not have
        is refused (see `strict_properties`)."""
        self.check_known(ent.name, ent.fields.keys() | ent.table_parts.keys(), body)
        for name, ft in ent.fields.items():
            if name in ("Ref_Key", "DataVersion", "Posted"):
                continue
            if name in body or (ft.kind == "t" and name[:-5] in body):
                if ft.kind == "t" and name not in body:
                    rec[name] = self.coerce(name, ft, "", body)
                    continue
                rec[name] = self.coerce(name, ft, body[name], body)
        for tp, tfields in ent.table_parts.items():
            if tp not in body:
                continue
            rows = body[tp]
            if rows is None:
                rows = []
            if not isinstance(rows, list):
                raise ODataError(400, "4", f"Табличная часть '{tp}' должна быть массивом")
            new_rows = []
            for row in rows:
                if not isinstance(row, dict):
                    raise ODataError(400, "4", f"Неверная строка табличной части '{tp}'")
                self.check_known(f"{ent.name}_{tp}", tfields, row)
                if "LineNumber" not in row or row["LineNumber"] in (None, ""):
                    raise ODataError(500, "-1", "Произошла внутренняя ошибка OData сервиса. "
                                     "Дополнительные сведения можно найти в технологическом "
                                     "журнале.")
                r = {n: ft.default() for n, ft in tfields.items()}
                for n, ft in tfields.items():
                    if n == "Ref_Key":
                        continue
                    if n in row or (ft.kind == "t" and n[:-5] in row):
                        r[n] = self.coerce(n, ft, row.get(n, ""), row)
                r["Ref_Key"] = rec["Ref_Key"]
                new_rows.append(r)
            new_rows.sort(key=lambda r: int(r["LineNumber"]))
            rec[tp] = new_rows

    def new_record(self, ent: EntityDef) -> dict:
        rec = {n: ft.default() for n, ft in ent.fields.items()}
        for tp in ent.table_parts:
            rec[tp] = []
        return rec

    def create(self, request: Request, ent: EntityDef, body, meta: str) -> Response:
        if not isinstance(body, dict):
            raise ODataError(400, "2", "Тело запроса должно быть JSON-объектом")
        st = self.state
        rec = self.new_record(ent)
        ref = body.get("Ref_Key")
        if ref not in (None, "", EMPTY_REF):
            if not isinstance(ref, str) or not GUID_RE.match(ref):
                raise ODataError(400, "4", f"Неверное значение свойства 'Ref_Key': {ref!r}")
            ref = ref.lower()
            if ref in st.objects[ent.name]:
                raise ODataError(400, "15", f"Объект с ключом {ref} уже существует")
        else:
            ref = str(uuid.uuid4())
        rec["Ref_Key"] = ref
        self.apply_body(ent, rec, body)
        self.validate_and_fill(ent, rec)
        st.put(ent.name, rec)
        self.after_write(ent, rec)
        # headers are latin-1: the Cyrillic entity name goes percent-encoded
        loc = quote(f"{meta.rsplit('/$metadata', 1)[0]}/{ent.name}(guid'{ref}')",
                    safe=":/?=&'()$,")
        return self.entity_response(ent, rec, meta, None, status=201, headers={"Location": loc})

    def validate_and_fill(self, ent: EntityDef, rec: dict) -> None:
        """What the object's own write handlers would do in 1C: numbers, codes, owners."""
        st = self.state
        if ent.kind == "document":
            if rec.get("Date") in (None, "", EMPTY_DATE):
                rec["Date"] = now_str()
            if not rec.get("Number"):
                org = st.get("Catalog_Организации", rec.get("Организация_Key"))
                prefix = st.config.number_prefix((org or {}).get("Префикс") or "")
                rec["Number"] = st.next_number(ent.name, rec["Date"], prefix)
        elif ent.kind == "catalog":
            owner = rec.get("Owner") if "Owner" in ent.fields else rec.get("Owner_Key")  # composite or plain
            if ent.owner and owner in (None, "", EMPTY_REF):
                raise ODataError(500, "-1", f"Не заполнено значение реквизита \"Владелец\" "
                                 f"({ent.name})")
            if not rec.get("Code") and ent.code_len:
                key = f"code|{ent.name}"
                n = int(st.meta["numbers"].get(key, len(st.objects[ent.name]))) + 1
                st.meta["numbers"][key] = n
                # products are seeded with counters 1… (folders) and 101… (items): new ones
                # count on from 1001 so they never meet a seeded code
                rec["Code"] = catalog_code(ent, n + 1000 if ent.name == "Catalog_Номенклатура" else n)

    def update(self, ent: EntityDef, rec: dict, body, meta: str, replace: bool) -> Response:
        if not isinstance(body, dict):
            raise ODataError(400, "2", "Тело запроса должно быть JSON-объектом")
        st = self.state
        old = json.loads(json.dumps(rec, default=str))
        new = self.new_record(ent) if replace else dict(rec)
        new["Ref_Key"] = rec["Ref_Key"]
        new["Posted"] = rec.get("Posted", False)
        if replace:
            new["Number"] = rec.get("Number", "") if ent.kind == "document" else None
            if new["Number"] is None:
                new.pop("Number")
        if "Ref_Key" in body and str(body["Ref_Key"]).lower() != rec["Ref_Key"]:
            raise ODataError(400, "16", "Нельзя изменить ключ объекта Ref_Key")
        self.apply_body(ent, new, body)
        self.validate_and_fill(ent, new)
        if ent.kind == "document" and new.get("Posted"):
            if new.get("DeletionMark"):
                unpost_document(st, ent.name, new)  # marking a posted document unposts it
                new["Posted"] = False
            else:
                try:
                    post_document(st, ent.name, new)
                except PostError as e:
                    post_document_safe_restore(st, ent.name, old)
                    raise ODataError(500, "-1", str(e)) from None
        st.put(ent.name, new)
        self.after_write(ent, new)
        del old
        return self.entity_response(ent, new, meta, None)

    def after_write(self, ent: EntityDef, rec: dict) -> None:
        """The configuration's own write handlers (see `Configuration.writers`)."""
        hook = self.state.config.writers.get(ent.name)
        if hook is not None:
            hook(self.state, rec)

    def post_action(self, ent: EntityDef, rec: dict, action: str, query: dict[str, str]) -> Response:
        st = self.state
        if ent.kind != "document":
            raise ODataError(400, "11", f"Метод '{action}' не найден")
        if not ent.postable:
            raise ODataError(400, "11", f"Метод '{action}' не найден: документ "
                             f"{ent.name.removeprefix('Document_')} не проводится")
        new = dict(rec)
        if action == "Post":
            if rec.get("DeletionMark"):
                raise ODataError(500, "-1", "Помеченный на удаление документ не может быть "
                                 "проведен")
            try:
                post_document(st, ent.name, new)
            except PostError as e:
                raise ODataError(500, "-1", f"Ошибка при вызове метода контекста (Записать): "
                                 f"Операция не выполнена. {e}") from None
            new["Posted"] = True
        else:
            unpost_document(st, ent.name, new)
            new["Posted"] = False
        st.put(ent.name, new)
        return Response(status_code=200)

    # contact information register (independent, keyed by dimensions) ------------------------

    def post_contact(self, request: Request, ent: EntityDef, body, meta: str) -> Response:
        if not isinstance(body, dict):
            raise ODataError(400, "2", "Тело запроса должно быть JSON-объектом")
        self.check_known(ent.name, ent.fields, body)
        rec = {n: ft.default() for n, ft in ent.fields.items()}
        for n, ft in ent.fields.items():
            if n in body or (ft.kind == "t" and n[:-5] in body):
                rec[n] = self.coerce(n, ft, body.get(n, ""), body)
        if not rec["Объект"]:
            raise ODataError(500, "-1", "Не заполнено измерение \"Объект\"")
        key = self.state.contact_key(rec)
        if key in self.state.contacts:
            raise ODataError(400, "15", "Запись с таким ключом уже существует")
        self.state.put_contact(rec)
        out = {} if self.nometa else {"odata.metadata": f"{meta}#{ent.name}/@Element"}
        out.update(rec)
        return json_response(out, status=201)

    def contact_by_key(self, request: Request, ent: EntityDef, args: str, body, meta: str
                       ) -> Response:
        parts = {}
        for p in X._split_top(args):
            if "=" not in p:
                raise ODataError(400, "7", "Не указана часть ключа записи регистра")
            k, v = p.split("=", 1)
            k = k.strip()
            v = v.strip()
            v = v[5:-1].lower() if v.startswith("guid'") else unquote_literal(v).replace("''", "'")
            parts[k] = v
        for k in ("Объект", "Объект_Type", "Тип", "Вид", "Вид_Type"):
            parts.setdefault(k, "")
        key = self.state.contact_key(parts)
        rec = self.state.contacts.get(key)
        if rec is None:
            raise ODataError(404, "9", "Запись регистра не найдена по переданному ключу.")
        m = request.method
        if m == "GET":
            out = {} if self.nometa else {"odata.metadata": f"{meta}#{ent.name}/@Element"}
            out.update(rec)
            return json_response(out)
        if m == "DELETE":
            self.state.delete_contact(key)
            return Response(status_code=204)
        if m in ("PATCH", "PUT"):
            if not isinstance(body, dict):
                raise ODataError(400, "2", "Тело запроса должно быть JSON-объектом")
            self.check_known(ent.name, ent.fields, body)
            new = dict(rec)
            for n, ft in ent.fields.items():
                if n in ("Объект", "Объект_Type", "Тип", "Вид", "Вид_Type"):
                    continue
                if n in body:
                    new[n] = self.coerce(n, ft, body[n], body)
            self.state.put_contact(new)
            out = {} if self.nometa else {"odata.metadata": f"{meta}#{ent.name}/@Element"}
            out.update(new)
            return json_response(out)
        raise ODataError(405, "19", "Метод не поддерживается")

def post_document_safe_restore(st: SandboxState, set_name: str, old: dict) -> None:
    """After a failed re-post on PATCH, put the old movements back."""
    ent = st.config.schema.entities[set_name]
    from .state import decode_record
    rec = decode_record(ent, old)
    try:
        post_document(st, set_name, rec)
    except PostError:
        unpost_document(st, set_name, rec)


def create_app(state: SandboxState, base: str = "demo", faults: Faults | None = None,
               auth: tuple[str, str] | None = None, strict_properties: bool = True,
               ignore_if_match: bool = False, publication: Publication | None = None) -> Starlette:
    """The ASGI app of one sandbox base, served under `/{base}/odata/standard.odata/`.

    `faults` (mutable, also via `POST /{base}/__admin__/faults`) injects latency, errors,
    hangs, dropped responses and HTML pages; `auth` turns on HTTP Basic (UTF-8) for every
    request, the admin route included. `strict_properties=False` ignores unknown body
    properties like real 1C does; `ignore_if_match=True` carries out writes with a stale
    `If-Match`, as field bases do (see `ODataApp`). `publication` leaves objects or fields out
    of `$metadata` and answers them as unknown (`publication.py`, `--unpublish`).
    """
    od = ODataApp(state, base, strict_properties=strict_properties, ignore_if_match=ignore_if_match,
                  publication=publication)
    faults = faults if faults is not None else Faults()
    od.faults = faults

    async def endpoint(request: Request) -> Response:
        return await od.handle(request)

    async def root(request: Request) -> Response:
        request.path_params["rest"] = ""
        return await od.handle(request)

    async def admin_faults(request: Request) -> Response:
        if request.path_params.get("base") != base:
            return error_response(404, "6", "Информационная база не найдена")
        if request.method == "POST":
            try:
                data = parse_json(await read_body(request, limit=64 * 1024))
            except BodyError as e:
                return JSONResponse({"error": e.message}, status_code=e.status)
            if not isinstance(data, dict):
                return JSONResponse({"error": "object expected"}, status_code=400)
            try:
                faults.configure(data)
            except (TypeError, ValueError) as e:
                return JSONResponse({"error": str(e)}, status_code=400)
        return JSONResponse(faults.as_dict())

    methods = ["GET", "POST", "PATCH", "PUT", "DELETE"]
    routes = [
        Route("/{base}/__admin__/faults", admin_faults, methods=["GET", "POST"]),
        Route("/{base}/odata/standard.odata/", root, methods=methods),
        Route("/{base}/odata/standard.odata", root, methods=methods),
        Route("/{base}/odata/standard.odata/{rest:path}", endpoint, methods=methods),
    ]
    middleware = [Middleware(ServerTimingMiddleware),
                  Middleware(FaultMiddleware, faults=faults, state=state, base=base),
                  Middleware(AuthMiddleware, auth=auth)]
    app = Starlette(routes=routes, middleware=middleware)
    app.state.sandbox = state
    app.state.faults = faults
    app.state.base = base
    return app
