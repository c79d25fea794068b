"""Fault soak: randomized pushes against the real sandbox server under every fault kind, then a
count in 1C of what was lost or duplicated.

Two real processes talk over loopback HTTP, as in production:

* the sandbox (`python -m onec_sandbox serve --data FILE --port P`), restarted on the same port
  and data file by the ``restart`` kind;
* the CRM side, a small driver (this file with ``--drive``) that holds the DuckDB store and runs
  the real ``SyncService`` (``tui_crm.sync``) over ``httpx``. It is killed with SIGKILL by the
  ``kill9`` kind and started again on the same store. It takes commands on stdin (one JSON
  object a line) and answers on stdout (``r`` per HTTP request sent, ``ok …`` when done).

Each run makes a few CRM objects (new clients with phone, e-mail and address; new invoices; an
edit of an unposted invoice, half of the time one of the three newest — the CRM has no delete)
and pushes them in 1–4 push rounds under
the run's fault kind, round-robin over:

  5xx      error_rate 0.3 (500, 1C's generic code -1)
  hang     hang_rate 0.25, each hang twice the CRM's read timeout; the request is still carried
           out after the CRM gave up on it (a write commits late), as 1C behind a web server does
  drop     drop_rate 0.4: the write commits, then the connection drops mid-response
  html     html_rate 0.3: a proxy's login page with status 200
  restart  the sandbox process is stopped (SIGTERM or SIGKILL, alternating) at a random moment of
           the push and started again on the same port and data file
  kill9    the CRM process is killed with SIGKILL: half of the runs at a random moment (external
           `kill -9` after a random delay), half right before sending or right after receiving a
           randomly chosen HTTP request (at the end of the run if it sent fewer)

Between rounds the CRM's clock jumps ahead so the outbox backoff does not make the soak wait.
At the end faults are turned off, failed items are retried, the outbox is drained, both
processes are stopped and the sandbox's data file and the CRM's store are compared:

  lost        a CRM client / invoice (or its contract, linked invoice document, contact record)
              that is not in 1C
  duplicated  more than one object in 1C for one CRM object
  stale       an invoice edit that 1C does not show (order or invoice document comment)
  stuck       outbox items left after the drain, or objects not "in accounting"

Seeded and reproducible in what it does (`--seed`): the operations, fault settings, fault draws
and kill points are drawn from the seed; the moments of the external kills and restarts are
wall-clock delays and so only approximately repeatable. Exit status 1 on any lost, duplicated or
stale object or stuck item.

Usage: python bench/soak.py [--runs 1000] [--seed 1] [--timeout 0.4] [--kinds 5xx,hang,...]
                            [--keep DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import queue
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tui_crm.sync.push import PUSH_CONCURRENCY  # noqa: E402 - after the checkout is on the path

KINDS = ("5xx", "hang", "drop", "html", "restart", "kill9")
ORDER = "Document_ЗаказПокупателя"
BILL = "Document_СчетНаОплатуПокупателю"
CP = "Catalog_Контрагенты"
CONTRACT = "Catalog_ДоговорыКонтрагентов"
NAME_RE = re.compile(r"^ООО «Соак (\d+)-(\d+)»$")
COMMENT_RE = re.compile(r"^soak (\d+)-(\d+)(?: edit (\d+))?$")
SANDBOX_ARGS = ["--products", "30", "--warehouses", "2", "--seed", "3"]


def fault_settings(kind: str, run: int, timeout: float) -> dict[str, Any]:
    base: dict[str, Any] = {"reset": True, "seed": run}
    return base | {
        "5xx": {"error_rate": 0.3},
        "hang": {"hang_rate": 0.25, "hang_s": 2 * timeout},
        "drop": {"drop_rate": 0.4},
        "html": {"html_rate": 0.3},
        "restart": {},
        "kill9": {},
    }[kind]


# ------------------------------------------------------------------------------------------------
# The CRM side: a driver process holding the store
# ------------------------------------------------------------------------------------------------

class DriverTransport(httpx.AsyncBaseTransport):
    """Real HTTP, counting requests (one ``r`` line each) and able to kill its own process with
    SIGKILL right before sending or right after receiving the n-th request of a run."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.count = 0
        self.kill_at: int | None = None
        self.kill_after = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        sys.stdout.write("r\n")
        sys.stdout.flush()
        if self.kill_at == self.count and not self.kill_after:
            os.kill(os.getpid(), signal.SIGKILL)
        response = await self.inner.handle_async_request(request)
        if self.kill_at == self.count and self.kill_after:
            await response.aread()
            os.kill(os.getpid(), signal.SIGKILL)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def crm_clients(store: Any) -> list[Any]:
    return sorted((r for r in store.client_rows(limit=10**7) if r.origin == "crm"), key=lambda r: r.id)


def crm_invoices(store: Any) -> list[Any]:
    out = []
    for s in store.list_invoices(limit=10**7):
        rec = store.get_invoice(s.id)
        if rec is not None and rec.origin == "crm":
            out.append(rec)
    return sorted(out, key=lambda r: r.id)


async def drive(store_path: Path, url: str, http_timeout: float, seed: int, concurrency: int | None = None) -> int:
    from tests.clock import TestClock
    from tests.sync.sandbox_kit import new_client, new_invoice
    from tui_crm.store import Store
    from tui_crm.sync.odata import ODataClient
    from tui_crm.sync.service import SyncService

    clock = TestClock()
    store = Store.open(store_path, clock=clock)
    transport = DriverTransport()
    client = ODataClient(url, transport=transport, timeout=http_timeout, connect_timeout=http_timeout, retries=1,
                         backoff=0.01)
    service = (SyncService(store, client, rng=random.Random(seed)) if concurrency is None
               else SyncService(store, client, rng=random.Random(seed), push_concurrency=concurrency))
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                return 0
            cmd = json.loads(line)
            op = cmd["op"]
            transport.count = 0
            transport.kill_at = None
            if op == "pull":
                ok = False
                for _ in range(20):
                    if await service.pull_now(full=True) is not None and store.organization() is not None:
                        ok = True
                        break
                    clock.advance(minutes=1)
                print(f"ok pull {ok}", flush=True)
            elif op == "run":
                run: int = cmd["run"]
                rng = random.Random(cmd["seed"])
                transport.kill_at = cmd.get("kill_at")
                transport.kill_after = bool(cmd.get("kill_after"))
                now = clock()
                clients = [r.id for r in crm_clients(store)]
                if not clients or rng.random() < 0.4:
                    for j in range(rng.randint(1, 2)):
                        c = new_client(f"ООО «Соак {run}-{j}»", phone=f"+7 900 {run % 1000:03d}-{j:02d}-00",
                                       email=f"s{run}.{j}@x.ru")
                        store.save_client(c, queue=True, now=now)
                        clients.append(c.id)
                for j in range(rng.randint(1, 2)):
                    cid = rng.choice(clients)
                    iid, inv = new_invoice(store, cid, lines=rng.randint(1, 3))
                    store.save_invoice(iid, replace(inv, comment=f"soak {run}-{j}"), date=now, queue=True, now=now)
                if rng.random() < 0.3:   # an edit of an unposted invoice (the soak never posts)
                    # Half of the edits go to one of the three newest invoices, which may still be
                    # on their way to 1C (or have a late write of theirs still in flight there).
                    recent = rng.random() < 0.5
                    listed = store.list_invoices(limit=3 if recent else 10**7)
                    unposted = sorted(s.id for s in listed if not s.posted)
                    rec = store.get_invoice(rng.choice(unposted)) if unposted else None
                    if rec is not None and rec.origin == "crm":
                        m = COMMENT_RE.match(rec.invoice.comment)
                        assert m is not None, rec.invoice.comment
                        store.save_invoice(rec.id, replace(rec.invoice, comment=f"soak {m[1]}-{m[2]} edit {run}"),
                                           date=rec.date, queue=True, now=now)
                for _ in range(rng.randint(1, 4)):
                    await service.push_now()
                    clock.advance(seconds=rng.choice((5, 30, 120, 600)))
                if transport.kill_at is not None:   # fewer requests than the kill point: die now
                    os.kill(os.getpid(), signal.SIGKILL)
                print(f"ok run {run}", flush=True)
            elif op == "drain":
                rounds = 0
                for _ in range(40):
                    for item in store.outbox_failed_items(10**6):
                        store.outbox_retry(item.id, clock())
                    if store.outbox_count() == 0:
                        break
                    await service.push_now(limit=500)
                    rounds += 1
                    clock.advance(minutes=10)
                print(f"ok drain {rounds} {store.outbox_count()}", flush=True)
            elif op == "quit":
                print("ok quit", flush=True)
                return 0
    finally:
        await service.aclose()
        store.close()


# ------------------------------------------------------------------------------------------------
# The orchestrator
# ------------------------------------------------------------------------------------------------

class Sandbox:
    """The sandbox server as a separate process on one port and one data file."""

    def __init__(self, folder: Path) -> None:
        self.data = folder / "sandbox.sqlite"
        self.log = open(folder / "sandbox.log", "ab")  # noqa: SIM115 - kept for the soak's life
        self.port = 0
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self.stops = 0

    def start(self) -> None:
        proc = subprocess.Popen(
            [sys.executable, "-m", "onec_sandbox", "serve", "--data", str(self.data), "--port", str(self.port),
             *SANDBOX_ARGS], stdout=subprocess.PIPE, stderr=self.log, text=True,
            env={**os.environ, "PYTHONIOENCODING": "utf-8"}, cwd=ROOT)
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if not line.startswith("http"):
            proc.kill()
            raise RuntimeError(f"sandbox did not start: {line!r} (see {self.log.name})")
        self.url = line
        self.port = httpx.URL(line).port or 0
        self.proc = proc

    @property
    def root(self) -> str:
        return f"http://127.0.0.1:{self.port}/demo"

    def stop(self, hard: bool = False) -> None:
        if self.proc is None:
            return
        self.stops += 1
        self.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(15)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self.proc = None

    def faults(self, settings: dict[str, Any]) -> None:
        for _ in range(50):
            try:
                httpx.post(f"{self.root}/__admin__/faults", json=settings, timeout=10).raise_for_status()
                return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the sandbox does not answer its admin endpoint")


class Driver:
    """The CRM process (this file with --drive) and its line protocol."""

    def __init__(self, store: Path, url: str, timeout: float, seed: int, log: Path,
                 concurrency: int | None = None) -> None:
        self.args = [sys.executable, str(Path(__file__).resolve()), "--drive", str(store), url,
                     "--timeout", str(timeout), "--seed", str(seed)]
        if concurrency is not None:
            self.args += ["--concurrency", str(concurrency)]
        self.log = open(log, "ab")  # noqa: SIM115 - kept for the soak's life
        self.proc: subprocess.Popen[str] | None = None
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.starts = 0

    def start(self) -> int:
        self.starts += 1
        self.lines = queue.Queue()
        proc = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                text=True, cwd=ROOT, env={**os.environ, "PYTHONIOENCODING": "utf-8"})
        self.proc = proc
        lines = self.lines

        def read() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                lines.put(line.strip())
            lines.put(None)

        threading.Thread(target=read, daemon=True).start()
        answer, _ = self.wait(300)
        if answer != "ready":
            raise RuntimeError(f"the CRM driver did not start: {answer!r} (see {self.log.name})")
        return 0

    def send(self, cmd: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()

    def wait(self, timeout: float = 600) -> tuple[str | None, int]:
        """The next answer line (None if the process died first) and the requests sent before it."""
        requests = 0
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                raise RuntimeError(f"the CRM driver did not answer in {timeout} s (see {self.log.name})") from None
            if line is None:
                return None, requests
            if line == "r":
                requests += 1
            else:
                return line, requests

    def kill9(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)

    def reap(self) -> int:
        assert self.proc is not None
        code = self.proc.wait(60)
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                with contextlib.suppress(BrokenPipeError):
                    pipe.close()
        self.proc = None
        return code


@dataclass
class Row:
    runs: int = 0
    lost: int = 0
    duplicated: int = 0
    stale: int = 0
    stuck: int = 0
    requests: int = 0
    seconds: float = 0.0
    kills: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    rows: dict[str, Row]
    drain: Row
    objects: Counter[str]
    wall: float

    @property
    def bad(self) -> bool:
        return any(r.lost or r.duplicated or r.stale or r.stuck for r in (*self.rows.values(), self.drain))

    def table(self) -> str:
        head = f"{'fault kind':<10} {'runs':>5} {'lost':>5} {'dup':>5} {'stale':>5} {'stuck':>5} " \
               f"{'requests':>9} {'wall s':>8}  notes"
        out = [head, "-" * len(head)]
        total = Row()
        for name, r in [*self.rows.items(), ("drain", self.drain)]:
            out.append(f"{name:<10} {r.runs:>5} {r.lost:>5} {r.duplicated:>5} {r.stale:>5} {r.stuck:>5} "
                       f"{r.requests:>9} {r.seconds:>8.1f}  {'; '.join(r.notes)}")
            for f in ("runs", "lost", "duplicated", "stale", "stuck", "requests", "seconds"):
                setattr(total, f, getattr(total, f) + getattr(r, f))
        out.append("-" * len(head))
        out.append(f"{'total':<10} {total.runs:>5} {total.lost:>5} {total.duplicated:>5} {total.stale:>5} "
                   f"{total.stuck:>5} {total.requests:>9} {total.seconds:>8.1f}")
        out.append("objects checked in 1C: " + ", ".join(f"{k} {v}" for k, v in self.objects.items()))
        return "\n".join(out)


def soak(runs: int, seed: int = 1, *, timeout: float = 0.4, kinds: tuple[str, ...] = KINDS,
         folder: Path | None = None, progress: bool = True, concurrency: int | None = None) -> Report:
    """Run the soak; `folder` keeps the sandbox data, the store and the logs (a temp dir if None)."""
    own = folder is None
    work = Path(tempfile.mkdtemp(prefix="tui-crm-soak-")) if folder is None else folder
    work.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    started = time.monotonic()
    rows = {k: Row() for k in kinds}
    drain = Row()
    run_kind: dict[int, str] = {}
    sandbox = Sandbox(work)
    sandbox.start()
    store = work / "crm.duckdb"
    driver = Driver(store, sandbox.url, timeout, seed, work / "driver.log", concurrency)
    try:
        driver.start()
        driver.send({"op": "pull"})
        answer, n = driver.wait()
        drain.requests += n
        if answer != "ok pull True":
            raise RuntimeError(f"the first pull failed: {answer!r}")
        for run in range(runs):
            kind = kinds[run % len(kinds)]
            run_kind[run] = kind
            row = rows[kind]
            row.runs += 1
            t0 = time.monotonic()
            sandbox.faults(fault_settings(kind, run, timeout))
            cmd: dict[str, Any] = {"op": "run", "run": run, "seed": rng.randrange(2**32)}
            external_kill = False
            if kind == "kill9":
                if rng.random() < 0.5:
                    external_kill = True
                    delay = rng.uniform(0.0, 0.6)
                else:
                    cmd["kill_at"] = rng.randint(1, 12)
                    cmd["kill_after"] = rng.random() < 0.5
            elif kind == "restart":
                delay = rng.uniform(0.0, 0.4)
                down = rng.uniform(0.0, 0.3)
            driver.send(cmd)
            if kind == "restart":
                time.sleep(delay)
                sandbox.stop(hard=sandbox.stops % 2 == 1)
                time.sleep(down)
                sandbox.start()
            elif external_kill:
                time.sleep(delay)
                driver.kill9()
            answer, n = driver.wait()
            row.requests += n
            if external_kill and answer is not None:   # killed just after it answered: between runs
                end, n = driver.wait()
                row.requests += n
                assert end is None, end
                answer = None
            if answer is None:
                row.kills += 1
                code = driver.reap()
                if code != -signal.SIGKILL:
                    raise RuntimeError(f"the CRM driver ended with {code} in run {run} (see {driver.log.name})")
                driver.start()
            elif answer != f"ok run {run}":
                raise RuntimeError(f"run {run}: unexpected answer {answer!r}")
            row.seconds += time.monotonic() - t0
            if progress and (run + 1) % 50 == 0:
                print(f"… {run + 1}/{runs} runs, {time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

        t0 = time.monotonic()
        sandbox.faults({"reset": True})
        driver.send({"op": "drain"})
        answer, n = driver.wait()
        drain.requests += n
        if answer is None or not answer.startswith("ok drain"):
            raise RuntimeError(f"drain: unexpected answer {answer!r}")
        drain.notes.append(f"{answer.split()[2]} push rounds")
        driver.send({"op": "quit"})
        driver.wait()
        driver.reap()
        drain.seconds = time.monotonic() - t0
        sandbox.stop()
        objects = count(store, sandbox.data, rows, drain, run_kind)
        if "kill9" in rows:
            rows["kill9"].notes.append(f"{rows['kill9'].kills} CRM processes killed")
        if "restart" in rows:
            rows["restart"].notes.append(f"{sandbox.stops - 1} sandbox restarts")
        return Report(rows, drain, objects, time.monotonic() - started)
    finally:
        if driver.proc is not None:
            driver.kill9()
            driver.reap()
        sandbox.stop()
        driver.log.close()
        sandbox.log.close()
        if own:
            shutil.rmtree(work, ignore_errors=True)


def count(store_path: Path, data: Path, rows: dict[str, Row], drain: Row, run_kind: dict[int, str]) -> Counter[str]:
    """Compare the CRM's store with the sandbox's data file; add the findings to `rows`."""
    from onec_sandbox.state import SandboxState
    from tests.clock import TestClock
    from tui_crm.domain.models import SyncState
    from tui_crm.store import Store

    def row_of(run: int) -> Row:
        return rows.get(run_kind.get(run, ""), drain)

    st = SandboxState.seeded(products=30, warehouses=2, seed=3, path=data)
    store = Store.open(store_path, clock=TestClock())
    checked: Counter[str] = Counter()
    try:
        cps = st.objects[CP]
        names = Counter(o["Description"] for o in cps.values())
        contracts = Counter(c["Owner_Key"] for c in st.objects[CONTRACT].values())
        contacts = Counter((c["Объект"], c["Тип"]) for c in st.contacts.values())
        orders = st.objects[ORDER]
        order_keys: Counter[tuple[str, str]] = Counter()
        for o in orders.values():
            mo = COMMENT_RE.match(o.get("Комментарий") or "")
            if mo is not None:
                order_keys[(mo[1], mo[2])] += 1
        bills = Counter(b["ЗаказПокупателя_Key"] for b in st.objects[BILL].values())
        bill_of = {b["ЗаказПокупателя_Key"]: b for b in st.objects[BILL].values()}
        open_items = {(i.kind, i.object_id) for i in store.outbox_items()}
        invoices = crm_invoices(store)
        invoiced = {r.invoice.client_id for r in invoices}
        for c in crm_clients(store):
            m = NAME_RE.match(c.name)
            assert m is not None, c.name
            row = row_of(int(m[1]))
            checked["clients"] += 1
            checked["contact records"] += 3
            if c.id not in cps:
                row.lost += 1
                row.notes.append(f"client {c.name} lost")
            if names[c.name] > 1:
                row.duplicated += names[c.name] - 1
                row.notes.append(f"client {c.name} ×{names[c.name]}")
            for kind in ("Телефон", "АдресЭлектроннойПочты", "Адрес"):
                n = contacts[(c.id, kind)]
                if n == 0:
                    row.lost += 1
                    row.notes.append(f"{kind} of {c.name} lost")
                elif n > 1:
                    row.duplicated += n - 1
            if c.id in invoiced:
                checked["contracts"] += 1
                if contracts[c.id] == 0:
                    row.lost += 1
                    row.notes.append(f"contract of {c.name} lost")
            if contracts[c.id] > 1:
                row.duplicated += contracts[c.id] - 1
                row.notes.append(f"contract of {c.name} ×{contracts[c.id]}")
            if ("client", c.id) in open_items or c.sync_state is not SyncState.IN_ACCOUNTING:
                row.stuck += 1
                row.notes.append(f"client {c.name} {c.sync_state.value}")
        for rec in invoices:
            m = COMMENT_RE.match(rec.invoice.comment)
            assert m is not None, rec.invoice.comment
            row = row_of(int(m[1]))
            edit_row = row_of(int(m[3])) if m[3] else row
            checked["orders"] += 1
            checked["invoice documents"] += 1
            order = orders.get(rec.id)
            if order is None:
                row.lost += 1
                row.notes.append(f"order {rec.invoice.comment} lost")
            elif order.get("Комментарий") != rec.invoice.comment:
                edit_row.stale += 1
                edit_row.notes.append(f"order {rec.id[:8]} shows {order.get('Комментарий')!r}, "
                                      f"CRM {rec.invoice.comment!r}")
            n = order_keys[(m[1], m[2])]
            if n > 1:
                row.duplicated += n - 1
                row.notes.append(f"order soak {m[1]}-{m[2]} ×{n}")
            if bills[rec.id] == 0:
                row.lost += 1
                row.notes.append(f"invoice document of {rec.invoice.comment} lost")
            elif bills[rec.id] > 1:
                row.duplicated += bills[rec.id] - 1
                row.notes.append(f"invoice document of {rec.invoice.comment} ×{bills[rec.id]}")
            elif bill_of[rec.id].get("Комментарий") != rec.invoice.comment:
                edit_row.stale += 1
                edit_row.notes.append(f"invoice document of {rec.id[:8]} shows "
                                      f"{bill_of[rec.id].get('Комментарий')!r}, CRM {rec.invoice.comment!r}")
            if ("invoice", rec.id) in open_items or rec.sync_state is not SyncState.IN_ACCOUNTING \
                    or (order is not None and rec.number != order.get("Number")):
                row.stuck += 1
                row.notes.append(f"invoice {rec.invoice.comment} {rec.sync_state.value} {rec.number!r}")
        known = {r.id for r in invoices}
        for ref, o in orders.items():   # an order in 1C that no CRM invoice accounts for
            if ref not in known and COMMENT_RE.match(o.get("Комментарий", "")):
                drain.duplicated += 1
                drain.notes.append(f"order {ref[:8]} {o['Комментарий']!r} unknown to the CRM")
    finally:
        store.close()
        st.close()
    return checked


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--runs", type=int, default=1000, help="push runs, round-robin over the fault kinds")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=0.4, help="the CRM's HTTP timeout in seconds")
    ap.add_argument("--kinds", default=",".join(KINDS), help="comma-separated subset of " + ",".join(KINDS))
    ap.add_argument("--keep", type=Path, default=None, help="keep data and logs in this folder")
    ap.add_argument("--concurrency", type=int, default=None,
                    help="the CRM's sync.push_concurrency (default: the engine's default, "
                         f"{PUSH_CONCURRENCY})")
    ap.add_argument("--drive", nargs=2, metavar=("STORE", "URL"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.drive:
        return asyncio.run(drive(Path(args.drive[0]), args.drive[1], args.timeout, args.seed, args.concurrency))
    kinds = tuple(k.strip() for k in args.kinds.split(",") if k.strip())
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        ap.error(f"unknown fault kind(s) {', '.join(unknown)}; choose from {', '.join(KINDS)}")
    if args.runs < 1:
        ap.error("--runs must be at least 1")
    if args.keep is not None and args.keep.exists() and any(args.keep.iterdir()):
        ap.error(f"--keep {args.keep} is not empty")
    report = soak(args.runs, args.seed, timeout=args.timeout, kinds=kinds, folder=args.keep,
                  concurrency=args.concurrency)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT)
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True, cwd=ROOT)
    print(f"soak: {args.runs} runs, seed {args.seed}, CRM timeout {args.timeout} s, "
          f"push concurrency {args.concurrency or PUSH_CONCURRENCY}, "
          f"commit {commit.stdout.strip() or '?'}{' (modified)' if dirty.stdout.strip() else ''}, "
          f"{report.wall:.0f} s")
    print(report.table())
    if report.bad:
        print("FAILED: something was lost, duplicated, stale or stuck", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
