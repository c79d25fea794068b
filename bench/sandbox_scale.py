"""Sandbox scale figures: seed 100k×10, page fetch, Balance by condition, full page-through.

Prints timings; not a test. Run: .venv/bin/python bench/sandbox_scale.py [products] [warehouses]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

from onec_sandbox.app import create_app
from onec_sandbox.state import SandboxState


def url(path: str, **params: str) -> str:
    params.setdefault("$format", "json")
    return path + "?" + "&".join(f"{quote(k, safe='$')}={quote(str(v), safe='')}"
                                 for k, v in params.items())


async def main(products: int, warehouses: int, persist: bool) -> None:
    t = time.perf_counter()
    st = SandboxState.seeded(products=products, warehouses=warehouses)
    print(f"seed {products}×{warehouses} in memory: {time.perf_counter() - t:.2f} s, "
          f"stock rows {len(st.acc['ТоварыНаСкладах'].totals)}")
    if persist:
        with tempfile.TemporaryDirectory() as d:
            p = Path(d) / "s.sqlite"
            t = time.perf_counter()
            SandboxState.seeded(products=products, warehouses=warehouses, path=p).close()
            print(f"seed + write sqlite: {time.perf_counter() - t:.2f} s, "
                  f"{p.stat().st_size / 1e6:.0f} MB")
            t = time.perf_counter()
            SandboxState.open(p).close()
            print(f"reopen from sqlite: {time.perf_counter() - t:.2f} s")
    app = create_app(st)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://t/demo/odata/standard.odata/") as c:
        sel = "Ref_Key,Code,Description,Артикул,СтавкаНДС,ЕдиницаХраненияОстатков_Key"
        for skip in (0, 50_000):
            t = time.perf_counter()
            r = await c.get(url("Catalog_Номенклатура", **{"$select": sel, "$top": "1000",
                                                            "$skip": str(skip)}))
            print(f"page 1000 products $skip={skip}: {(time.perf_counter() - t) * 1000:.1f} ms "
                  f"({len(r.json()['value'])} rows)")
        refs = [v["Ref_Key"] for v in r.json()["value"][:50]]
        wh = (await c.get(url("Catalog_Склады"))).json()["value"][0]["Ref_Key"]
        cond = f"Склад_Key eq guid'{wh}' and (" + " or ".join(
            f"Номенклатура_Key eq guid'{x}'" for x in refs) + ")"
        t = time.perf_counter()
        r = await c.get(url(f"AccumulationRegister_ТоварыНаСкладах/Balance(Condition='{cond}')"))
        print(f"Balance 50 refs × 1 warehouse: {(time.perf_counter() - t) * 1000:.1f} ms "
              f"({len(r.json()['value'])} rows)")
        t = time.perf_counter()
        r = await c.get(url(f"InformationRegister_ЦеныНоменклатуры_RecordType/SliceLast("
                            f"Condition='{cond.split(' and ', 1)[1]}')"))
        print(f"SliceLast 50 refs: {(time.perf_counter() - t) * 1000:.1f} ms "
              f"({len(r.json()['value'])} rows)")
        t = time.perf_counter()
        n = skip = 0
        while True:
            r = await c.get(url("AccumulationRegister_ТоварыНаСкладах/Balance()", **{
                "$orderby": "Номенклатура_Key,Склад_Key", "$top": "5000", "$skip": str(skip)}))
            page = r.json()["value"]
            n += len(page)
            skip += 5000
            if len(page) < 5000:
                break
        print(f"page-through Balance ({n} rows, $top=5000): {time.perf_counter() - t:.1f} s")


if __name__ == "__main__":
    p = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    w = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    asyncio.run(main(p, w, persist="--persist" in sys.argv))
