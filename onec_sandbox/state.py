"""In-memory data of the sandbox base, persisted to an sqlite3 file of its own.

Why sqlite3 (stdlib) and a key/value layout: the sandbox must stay independent of the CRM's
DuckDB store, survive restarts, and cope with 100k products × 10 warehouses (1M stock rows)
without rewriting a 100 MB snapshot on every write. Each request writes only the rows it
changed, in one transaction. Everything is served from memory; the file is only read at open.
"""

from __future__ import annotations

import base64
import contextlib
import json
import sqlite3
import struct
import threading
from collections import OrderedDict
from collections.abc import Iterable
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .schema import EMPTY_DATE, EMPTY_REF, EntityDef

if TYPE_CHECKING:
    from .configs import Configuration

MAX_DATE = "9999-12-31T23:59:59"
#: Register columns worth an index (the ones conditions restrict by; the always-empty ones
#: such as ХарактеристикаНоменклатуры_Key would only hold one giant bucket).
INDEXED = {"Склад_Key", "Номенклатура_Key", "ДокументРезерва", "Сделка", "Контрагент_Key",
           "ДоговорКонтрагента_Key", "ExtDimension1"}


def money(v: Any, scale: int = 2) -> Decimal:
    """Decimal rounded like 1C (half up)."""
    return Decimal(str(v)).quantize(Decimal(1).scaleb(-scale), rounding=ROUND_HALF_UP)


def now_str() -> str:
    return datetime.now().replace(microsecond=0).isoformat()


def _narrowest(index: dict[str, dict[str, set[tuple]]], restrict: dict[str, set[str]],
               everything: Iterable[tuple]) -> Iterable[tuple]:
    """Keys allowed by the most selective indexed restriction (sizes compared before any set
    is built, so a one-warehouse restriction never copies that warehouse's whole bucket)."""
    best_col, best_size = None, None
    for col, values in restrict.items():
        idx = index.get(col)
        if idx is None:
            continue
        size = sum(len(idx.get(v, ())) for v in values)
        if best_size is None or size < best_size:
            best_col, best_size = col, size
    if best_col is None:
        return everything
    idx = index[best_col]
    out: set[tuple] = set()
    for v in restrict[best_col]:
        out |= idx.get(v, set())
    return out


class AccReg:
    """An accumulation register of type Balance: movements by recorder plus running totals.

    Totals are kept per full dimension key so `Balance()` at the current moment is a dict
    walk; an index per reference column lets a `Condition` with `X_Key eq guid'…'` touch only
    the matching rows.
    """

    def __init__(self, name: str, dims: dict[str, list[str]], res: list[str]):
        self.name = name
        self.dims = dims
        self.cols: list[str] = [c for cs in dims.values() for c in cs]
        self.res = res
        self.totals: dict[tuple, list[Decimal]] = {}
        self.movements: dict[str, list[tuple[str, int, tuple, list[Decimal]]]] = {}
        self.index: dict[str, dict[str, set[tuple]]] = {
            c: {} for c in self.cols if c in INDEXED}
        self.max_period = EMPTY_DATE
        self.dirty_totals: set[tuple] = set()
        self.dirty_recorders: set[str] = set()

    def _add_total(self, key: tuple, vals: list[Decimal], sign: int) -> None:
        cur = self.totals.get(key)
        if cur is None:
            cur = [Decimal(0)] * len(self.res)
            self.totals[key] = cur
            for i, c in enumerate(self.cols):
                if c in self.index:
                    self.index[c].setdefault(key[i], set()).add(key)
        for i, v in enumerate(vals):
            cur[i] += sign * v
        self.dirty_totals.add(key)

    def write(self, recorder: str, records: list[tuple[str, int, dict, list[Decimal]]]) -> None:
        """Replace the movements of `recorder` (period, +1 receipt / -1 expense, dims, res)."""
        self.clear(recorder)
        if not records:
            return
        moves = []
        for period, sign, dims, vals in records:
            key = tuple(dims.get(c, EMPTY_REF if c.endswith("_Key") else "") for c in self.cols)
            moves.append((period, sign, key, list(vals)))
            self._add_total(key, vals, sign)
            if period > self.max_period:
                self.max_period = period
        self.movements[recorder] = moves
        self.dirty_recorders.add(recorder)

    def clear(self, recorder: str) -> None:
        old = self.movements.pop(recorder, None)
        if old:
            for _period, sign, key, vals in old:
                self._add_total(key, vals, -sign)
            self.dirty_recorders.add(recorder)

    def balance_of(self, key: tuple) -> list[Decimal]:
        return self.totals.get(key) or [Decimal(0)] * len(self.res)

    def candidate_keys(self, restrict: dict[str, set[str]] | None) -> Iterable[tuple]:
        if not restrict:
            return self.totals.keys()
        return _narrowest(self.index, restrict, self.totals.keys())

    def rows(self, period: str | None, dims: list[str] | None,
             restrict: dict[str, set[str]] | None, pred) -> list[dict]:
        """Balance rows (non-zero only, like 1C) at `period`, grouped by `dims` if given."""
        keys = self.candidate_keys(restrict)
        correction: dict[tuple, list[Decimal]] = {}
        if period and period < self.max_period:
            for moves in self.movements.values():
                for p, sign, key, vals in moves:
                    if p > period:
                        c = correction.setdefault(key, [Decimal(0)] * len(self.res))
                        for i, v in enumerate(vals):
                            c[i] += sign * v
            if restrict:
                keys = set(keys) | {k for k in correction if k in self.totals}
        cols = self.cols
        resnames = [r + "Balance" for r in self.res]
        if dims:
            keep = [i for i, c in enumerate(cols)
                    if any(c in self.dims[d] for d in dims)]
        else:
            keep = list(range(len(cols)))
        out: dict[tuple, dict] = {}
        for key in keys:
            vals = self.totals[key]
            if key in correction:
                vals = [a - b for a, b in zip(vals, correction[key], strict=True)]
            row = {cols[i]: key[i] for i in range(len(cols))}
            for n, v in zip(resnames, vals, strict=True):
                row[n] = v
            if pred is not None and not pred(row):
                continue
            if dims:
                gk = tuple(key[i] for i in keep)
                g = out.get(gk)
                if g is None:
                    g = {cols[i]: key[i] for i in keep}
                    for n in resnames:
                        g[n] = Decimal(0)
                    out[gk] = g
                for n, v in zip(resnames, vals, strict=True):
                    g[n] += v
            else:
                out[key] = row
        return [r for r in out.values() if any(r[n] != 0 for n in resnames)]


class PriceReg:
    """The periodic prices register (ЦеныНоменклатуры): per dimension key, records by period.
    `dims` are its dimension columns, in the register's order (the configuration's schema)."""

    def __init__(self, dims: list[str]):
        self.dims = list(dims)
        self.records: dict[tuple, list[dict]] = {}  # sorted by Period
        self.by_recorder: dict[str, list[tuple]] = {}
        self.index: dict[str, dict[str, set[tuple]]] = {c: {} for c in self.dims}
        self.dirty: set[tuple] = set()

    def add(self, rec: dict, recorder: str = "") -> None:
        key = tuple(rec.get(c, EMPTY_REF) for c in self.dims)
        lst = self.records.get(key)
        if lst is None:
            lst = self.records[key] = []
            for i, c in enumerate(self.dims):
                self.index[c].setdefault(key[i], set()).add(key)
        rec = dict(rec)
        rec["_recorder"] = recorder
        # same period + same dims replaces (that is how a record set behaves)
        lst[:] = [r for r in lst if r["Period"] != rec["Period"]]
        lst.append(rec)
        lst.sort(key=lambda r: r["Period"])
        if recorder:
            self.by_recorder.setdefault(recorder, []).append(key)
        self.dirty.add(key)

    def remove_recorder(self, recorder: str) -> None:
        for key in self.by_recorder.pop(recorder, []):
            lst = self.records.get(key, [])
            lst[:] = [r for r in lst if r.get("_recorder") != recorder]
            self.dirty.add(key)

    def slice(self, period: str | None, first: bool, restrict, pred) -> list[dict]:
        keys: Iterable[tuple] = self.records.keys()
        if restrict:
            keys = _narrowest(self.index, restrict, keys)
        out = []
        for key in keys:
            lst = self.records[key]
            if not lst:
                continue
            if first:
                cand = [r for r in lst if period is None or r["Period"] >= period]
                r = cand[0] if cand else None
            else:
                if period is None:
                    r = lst[-1]
                else:
                    r = None
                    for x in reversed(lst):
                        if x["Period"] <= period:
                            r = x
                            break
            if r is None:
                continue
            row = {k: v for k, v in r.items() if k != "_recorder"}
            if pred is None or pred(row):
                out.append(row)
        return out


class ConfigurationMismatch(ValueError):
    """A data file seeded under one configuration opened under another."""


class NotASandboxFile(ValueError):
    """`reset` was asked for a file that holds something else: it is left alone."""


def held_configuration(path: Path) -> str | None:
    """The configuration a sandbox data file was seeded under (ka1, ut11, bp3), read without
    opening it as a base; None when the file is missing, empty or not a sandbox file."""
    if not Path(path).is_file():
        return None
    try:
        with contextlib.closing(sqlite3.connect(str(path))) as conn:
            row = conn.execute("SELECT data FROM kv WHERE kind = 'meta' AND key = 'meta'").fetchone()
    except sqlite3.Error:
        return None
    if row is None:
        return None
    try:
        held = json.loads(row[0]).get("config", "ka1")
    except (ValueError, AttributeError):
        return None
    return held if isinstance(held, str) else None


def _configuration(config: Configuration | str | None) -> Configuration:
    from .configs import DEFAULT, configuration
    if config is None:
        return configuration(DEFAULT)
    if isinstance(config, str):
        return configuration(config)
    return config


class SandboxState:
    """All data of one sandbox base in one configuration (`config`, default КА 1.1).
    Thread-safe through `lock` (the ASGI app takes it)."""

    def __init__(self, path: Path | None = None, config: Configuration | str | None = None):
        self.path = path
        self.config = _configuration(config)
        schema = self.config.schema
        self.lock = threading.RLock()
        self.objects: dict[str, dict[str, dict]] = {n: {} for n in schema.object_sets}
        self.acc: dict[str, AccReg] = {n: AccReg(n, dims, res)
                                       for n, (dims, res) in schema.acc_registers.items()}
        self.prices = PriceReg(schema.price_dims)
        self.contacts: dict[str, dict] = {}
        self.meta: dict[str, Any] = {"dv": 0, "numbers": {}}
        self.versions: dict[str, int] = {}
        self.cache: OrderedDict[tuple, list[dict]] = OrderedDict()
        self._dirty_objs: set[tuple[str, str]] = set()
        self._dirty_contacts: set[str] = set()
        self._conn: sqlite3.Connection | None = None
        if path is not None:
            self._conn = sqlite3.connect(str(path), check_same_thread=False)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS kv (kind TEXT NOT NULL, key TEXT NOT "
                               "NULL, data TEXT NOT NULL, PRIMARY KEY (kind, key)) WITHOUT ROWID")
            self._conn.commit()

    # ---- construction ------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None, config: Configuration | str | None = None) -> SandboxState:
        """Open (or create empty) a base in configuration `config` (default КА 1.1); `None`
        keeps it in memory only. A file seeded under another configuration is refused
        (`ConfigurationMismatch`, with the configuration it holds in the message)."""
        st = cls(Path(path) if path is not None else None, config)
        if st._conn is not None:
            st._load()
        return st

    @classmethod
    def seeded(cls, products: int = 200, warehouses: int = 3, seed: int = 1,
               path: Path | None = None, reset: bool = False,
               hostile: bool = False, config: Configuration | str | None = None,
               variant: str = "") -> SandboxState:
        """A base with demo data. An existing non-empty file is reopened as is (state survives
        restarts) unless `reset` is true, which starts over from a fresh seed. `hostile` puts
        the hostile text corpus into the fresh seed (`apply_hostile` of the configuration);
        `variant` picks the configuration's accounting settings (`Configuration.variants`) for a
        fresh seed, and is refused (`UnknownConfiguration`) when the configuration has no such."""
        if path is not None:
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            if reset:
                # `seed --data` and `serve --reset` delete the file first: never one that is not a
                # sandbox base (a mistyped --data once replaced /etc/passwd with a seeded base)
                if path.is_file() and path.stat().st_size > 0 and held_configuration(path) is None:
                    raise NotASandboxFile(f"{path} is not a sandbox data file; it is left as it is "
                                          "(give a new file, or one the sandbox made, to --data)")
                if path.is_dir():
                    raise NotASandboxFile(f"{path} is a folder; give a file to --data")
                for suffix in ("", "-wal", "-shm"):
                    p = Path(str(path) + suffix)
                    if p.exists():
                        p.unlink()
        from .configs import check_variant
        check_variant(_configuration(config), variant)
        st = cls.open(path, config)
        if st.is_empty():
            st.config.seed(st, products=products, warehouses=warehouses, seed=seed,
                           hostile=hostile, variant=variant)
            st.meta["config"] = st.config.name  # a file without it is КА 1.1 (older builds)
            st.clear_dirty()
            st.commit()  # only the seed parameters: the seed itself is regenerated at open
        return st

    @property
    def hostile(self) -> bool:
        """True when the base was seeded with the hostile text corpus."""
        return bool((self.meta.get("seed") or {}).get("hostile"))

    def is_empty(self) -> bool:
        return not any(self.objects.values())

    def close(self) -> None:
        if self._conn is not None:
            self.commit()
            self._conn.close()
            self._conn = None

    # ---- versions and cache -----------------------------------------------------------------

    def bump(self, kind: str) -> None:
        self.versions[kind] = self.versions.get(kind, 0) + 1

    def version(self, kind: str) -> int:
        return self.versions.get(kind, 0)

    def cached(self, key: tuple, build) -> list[dict]:
        """Small LRU of ordered result lists, so paging through a big set sorts only once."""
        hit = self.cache.get(key)
        if hit is not None:
            self.cache.move_to_end(key)
            return hit
        val = build()
        self.cache[key] = val
        while len(self.cache) > 16:
            self.cache.popitem(last=False)
        return val

    def new_data_version(self) -> str:
        self.meta["dv"] = int(self.meta.get("dv", 0)) + 1
        return base64.b64encode(struct.pack(">II", self.meta["dv"], 0)).decode()

    def next_number(self, set_name: str, date: str, prefix: str) -> str:
        year = date[:4]
        key = f"{set_name}|{prefix}|{year}"
        n = int(self.meta["numbers"].get(key, 0)) + 1
        self.meta["numbers"][key] = n
        width = 11 - len(prefix)
        return f"{prefix}{n:0{width}d}"

    # ---- objects -----------------------------------------------------------------------------

    def get(self, set_name: str, ref: str | None) -> dict | None:
        if not ref:
            return None
        return self.objects.get(set_name, {}).get(ref.lower())

    def put(self, set_name: str, rec: dict, *, new_version: bool = True) -> dict:
        if new_version:
            rec["DataVersion"] = self.new_data_version()
        self.objects[set_name][rec["Ref_Key"]] = rec
        self._dirty_objs.add((set_name, rec["Ref_Key"]))
        self.bump(set_name)
        ent = self.config.schema.entities[set_name]
        for tp in ent.table_parts:
            self.bump(f"{set_name}_{tp}")
        return rec

    def delete(self, set_name: str, ref: str) -> None:
        self.objects[set_name].pop(ref, None)
        self._dirty_objs.add((set_name, ref))
        self.bump(set_name)
        for tp in self.config.schema.entities[set_name].table_parts:
            self.bump(f"{set_name}_{tp}")

    def find_by(self, set_name: str, field: str, value: Any) -> dict | None:
        for r in self.objects[set_name].values():
            if r.get(field) == value:
                return r
        return None

    # ---- contact information (independent information register) -----------------------------

    @staticmethod
    def contact_key(rec: dict) -> str:
        return "|".join([rec.get("Объект", ""), rec.get("Объект_Type", ""), rec.get("Тип", ""),
                         rec.get("Вид", ""), rec.get("Вид_Type", "")])

    def put_contact(self, rec: dict) -> None:
        k = self.contact_key(rec)
        self.contacts[k] = rec
        self._dirty_contacts.add(k)
        self.bump("contacts")

    def delete_contact(self, key: str) -> None:
        self.contacts.pop(key, None)
        self._dirty_contacts.add(key)
        self.bump("contacts")

    # ---- persistence -------------------------------------------------------------------------

    def clear_dirty(self) -> None:
        self._dirty_objs.clear()
        self._dirty_contacts.clear()
        for reg in self.acc.values():
            reg.dirty_totals.clear()
            reg.dirty_recorders.clear()
        self.prices.dirty.clear()

    def commit(self) -> None:
        """Write what changed since the last commit, in one transaction.

        The file holds the seed parameters plus every row changed since (deletions as
        'null' tombstones): a 100k-product base reopens by regenerating the deterministic
        seed and replaying the changes, instead of storing a gigabyte of unchanged rows."""
        if self._conn is None:
            self.clear_dirty()
            return
        c = self._conn
        up: list[tuple[str, str, str]] = []
        dels: list[tuple[str, str]] = []
        for set_name, ref in self._dirty_objs:
            rec = self.objects[set_name].get(ref)
            if rec is None:
                dels.append(("o:" + set_name, ref))
            else:
                up.append(("o:" + set_name, ref, _dumps(rec)))
        self._dirty_objs.clear()
        for k in self._dirty_contacts:
            rec = self.contacts.get(k)
            if rec is None:
                dels.append(("ci", k))
            else:
                up.append(("ci", k, _dumps(rec)))
        self._dirty_contacts.clear()
        for name, reg in self.acc.items():
            for key in reg.dirty_totals:
                up.append(("at:" + name, "|".join(key), ";".join(str(v) for v in reg.totals[key])))
            reg.dirty_totals.clear()
            for rcd in reg.dirty_recorders:
                moves = reg.movements.get(rcd)
                if moves is None:
                    dels.append(("am:" + name, rcd))
                else:
                    up.append(("am:" + name, rcd, _dumps(
                        [[p, s, list(k), [str(v) for v in vals]] for p, s, k, vals in moves])))
            reg.dirty_recorders.clear()
        for key in self.prices.dirty:
            up.append(("pr", "|".join(key), _dumps(self.prices.records.get(key, []))))
        self.prices.dirty.clear()
        up.append(("meta", "meta", _dumps(self.meta)))
        up.extend((kind, key, "null") for kind, key in dels)
        with c:
            c.executemany("INSERT OR REPLACE INTO kv(kind, key, data) VALUES (?, ?, ?)", up)

    def save_all(self) -> None:
        """Mark everything dirty and commit (after a seed)."""
        for set_name, objs in self.objects.items():
            for ref in objs:
                self._dirty_objs.add((set_name, ref))
        self._dirty_contacts.update(self.contacts)
        for reg in self.acc.values():
            reg.dirty_totals.update(reg.totals)
            reg.dirty_recorders.update(reg.movements)
        self.prices.dirty.update(self.prices.records)
        self.commit()

    def _load(self) -> None:
        assert self._conn is not None
        row = self._conn.execute("SELECT data FROM kv WHERE kind = 'meta' AND key = 'meta'"
                                 ).fetchone()
        if row is None:
            return
        meta = json.loads(row[0])
        held = meta.get("config", "ka1")
        if held != self.config.name:
            self._conn.close()
            self._conn = None
            raise ConfigurationMismatch(
                f"the data file {self.path} holds a {held} base, not {self.config.name}: "
                f"start it with --config {held}, or give another --data file (or --reset it)")
        if meta.get("seed"):
            self.config.seed(self, **meta["seed"])
            self.clear_dirty()
        self.meta.update(meta)
        numeric_prices = [n for n, ft in self.config.schema.price_fields().items()
                          if ft.kind == "n"]
        cur = self._conn.execute("SELECT kind, key, data FROM kv WHERE kind <> 'meta'")
        for kind, key, data in cur:
            gone = data == "null"
            if kind.startswith("o:"):
                set_name = kind[2:]
                if set_name in self.objects:
                    if gone:
                        self.objects[set_name].pop(key, None)
                    else:
                        self.objects[set_name][key] = decode_record(
                            self.config.schema.entities[set_name], json.loads(data))
            elif kind == "ci":
                if gone:
                    self.contacts.pop(key, None)
                else:
                    self.contacts[key] = json.loads(data)
            elif kind.startswith("at:"):
                reg = self.acc.get(kind[3:])
                if reg is None or gone:
                    continue
                k = tuple(key.split("|"))
                reg.totals[k] = [Decimal(v) for v in data.split(";")]
                for i, c in enumerate(reg.cols):
                    if c in reg.index:
                        reg.index[c].setdefault(k[i], set()).add(k)
            elif kind.startswith("am:"):
                reg = self.acc.get(kind[3:])
                if reg is None:
                    continue
                if gone:
                    reg.movements.pop(key, None)
                    continue
                moves = [(p, s, tuple(k), [Decimal(v) for v in vals])
                         for p, s, k, vals in json.loads(data)]
                reg.movements[key] = moves
            elif kind == "pr":
                k = tuple(key.split("|"))
                recs = json.loads(data)
                for r in recs:
                    for f in numeric_prices:
                        if f in r:
                            r[f] = Decimal(str(r[f]))
                    if r.get("_recorder"):
                        self.prices.by_recorder.setdefault(r["_recorder"], []).append(k)
                self.prices.records[k] = recs
                for i, c in enumerate(self.prices.dims):
                    self.prices.index[c].setdefault(k[i], set()).add(k)
        for reg in self.acc.values():
            for moves in reg.movements.values():
                for p, *_ in moves:
                    if p > reg.max_period:
                        reg.max_period = p


def _json_default(v):
    if isinstance(v, Decimal):
        return str(v)
    raise TypeError(type(v))


def _dumps(v) -> str:
    return json.dumps(v, ensure_ascii=False, default=_json_default, separators=(",", ":"))


def decode_record(ent: EntityDef, d: dict) -> dict:
    """Turn stored JSON back into the in-memory form (Decimals for numeric fields)."""
    for name, ft in ent.fields.items():
        if ft.kind == "n" and name in d:
            d[name] = Decimal(str(d[name]))
    for tp, tfields in ent.table_parts.items():
        for row in d.get(tp) or []:
            for name, ft in tfields.items():
                if ft.kind == "n" and name in row:
                    row[name] = Decimal(str(row[name]))
    return d


__all__ = ["MAX_DATE", "AccReg", "ConfigurationMismatch", "PriceReg", "SandboxState", "money", "now_str"]
