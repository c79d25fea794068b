"""Cold start to the first painted clients list on a 100k-product store (issue 13).

`tui-crm run` is started in a pseudo-terminal (80×24, TERM=xterm-256color, English) as an operator
would start it, with a store of 100 000 products × 10 warehouses (the picker's 1M rows, as
bench/picker.py builds it) and 1 000 clients, and an accounting URL (a closed port: the engine is
created and its first pull fails, as offline; what is timed happens before). A sample runs from
the spawn until the terminal has received the name of a client on the list (escape sequences
stripped); the RSS is the process's VmRSS at that moment, and the CPU its user + system seconds
(all threads) by then — far steadier than the wall clock on a shared, loaded machine; the load
average before and after is printed with the table. Then Ctrl+Q. The table gives each command's
time p50 and p95 (nearest rank), min and max, and its CPU and RSS p50.

Baseline, in the same run and the same pty, alternating: a bare Textual app with ONE DataTable
of the same rows read from the same store file with DuckDB (`--bare`): the floor this stack
(Python, Textual, DuckDB) gives, under which no work on tui-crm can go.

Run: .venv/bin/python bench/start.py [--runs 7] [--products 100000] [--clients 1000] [--base ROOT]
"""

from __future__ import annotations

import argparse
import fcntl
import math
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

HERE = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "tui-crm-bench-live"
ANSI = re.compile(rb"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
CLIENT_QUERY = "SELECT name, inn, email FROM clients ORDER BY name LIMIT 200"


def build(products: int, clients: int) -> Path:
    path = CACHE / f"start-{products}-{clients}.duckdb"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(HERE / "bench"))
    from picker import build_store  # the picker bench's deterministic 100k catalog

    from tui_crm.domain.models import Client
    from tui_crm.domain.validation import ClientKind

    t = time.perf_counter()
    tmp = path.with_suffix(".tmp")
    store = build_store(tmp, products=products)
    words = ["Ромашка", "Вектор", "Сириус", "Гранит", "Альфа", "Восход", "Меридиан", "Орбита", "Каскад", "Радуга"]
    for n in range(clients):
        name = f"{words[n % len(words)]} {n:04d} ООО"
        store.save_client(Client(f"d0000000-0000-0000-0000-{n:012d}", ClientKind.LEGAL_ENTITY, name, name,
                                 "", "", (f"+7912{n:07d}",), f"c{n}@example.ru"))
    store.close()
    tmp.rename(path)
    print(f"built {path} in {time.perf_counter() - t:.0f} s", flush=True)
    return path


def bare(store: str) -> None:
    """The floor: Textual, DuckDB, one DataTable of the same rows."""
    import duckdb
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    rows = duckdb.connect(store, read_only=True).execute(CLIENT_QUERY).fetchall()

    class Bare(App[None]):
        BINDINGS = [("ctrl+q", "quit", "Quit")]  # noqa: RUF012

        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Name", "INN", "E-mail")
            table.add_rows(rows)

    Bare().run()


def sample(argv: list[str], env: dict[str, str], markers: list[bytes], timeout: float = 30.0, *,
           cwd: Path = HERE) -> tuple[float, int, float]:
    """Seconds from spawn until one of `markers` reached the terminal, VmRSS (kB) then, and the CPU
    seconds (user + system, all threads) the process had used by then — on a shared, loaded box
    the CPU figure moves far less than the wall-clock one."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    started = time.perf_counter()
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True,
                            cwd=cwd)
    os.close(slave)
    seen = b""
    found: float | None = None
    rss = 0
    cpu = 0.0
    try:
        while time.perf_counter() - started < timeout:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
            plain = ANSI.sub(b"", seen)
            if any(m in plain for m in markers):
                found = time.perf_counter() - started
                with open(f"/proc/{proc.pid}/status") as f:
                    rss = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
                with open(f"/proc/{proc.pid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime
                break
        if found is None:
            tail = ANSI.sub(b"", seen)[-600:].decode("utf-8", "replace")
            raise RuntimeError(f"{argv[-1]}: no client row painted within {timeout:.0f} s; screen tail: {tail!r}")
        os.write(master, b"\x11")  # ctrl+q
        end = time.perf_counter() + 5
        while proc.poll() is None and time.perf_counter() < end:
            if select.select([master], [], [], 0.2)[0]:
                try:
                    os.read(master, 65536)
                except OSError:
                    break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(5)
        os.close(master)
    return found, rss, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--products", type=int, default=100_000)
    ap.add_argument("--clients", type=int, default=1000)
    ap.add_argument("--base", type=Path, default=None, metavar="ROOT",
                    help="another checkout (e.g. a worktree of main) started the same way, as a before")
    args = ap.parse_args()
    store_src = build(args.products, args.clients)
    import duckdb

    con = duckdb.connect(str(store_src), read_only=True)
    markers = [str(r[0]).encode() for r in con.execute(CLIENT_QUERY).fetchall()]
    con.close()
    folder = Path(tempfile.mkdtemp(prefix="tui-crm-bench-start-"))
    try:
        store = folder / "crm.duckdb"
        shutil.copy(store_src, store)
        # An installed tui-crm runs from byte-compiled modules; a PYTHONDONTWRITEBYTECODE in the
        # environment (this machine has one) would make every start compile tui_crm from source
        # (~0.2 s): the warm-up start below writes the .pyc files.
        env = {k: v for k, v in os.environ.items()
               if not k.startswith(("TUI_CRM_", "TEXTUAL", "PYTHONDONTWRITEBYTECODE"))}
        env.update(HOME=str(folder), XDG_CONFIG_HOME=str(folder / "config"), XDG_DATA_HOME=str(folder / "data"),
                   XDG_STATE_HOME=str(folder / "state"), XDG_CACHE_HOME=str(folder / "cache"),
                   TERM="xterm-256color", COLORTERM="truecolor", LANG="C.UTF-8", TUI_CRM_LANG="en",
                   TUI_CRM_STORE=str(store), TUI_CRM_URL="http://127.0.0.1:9/base/odata/standard.odata/")
        # `tui-crm run` is `python -m tui_crm.cli run` from the checkout's folder (its source first
        # on sys.path), so another checkout runs with the same interpreter and packages.
        run = [sys.executable, "-m", "tui_crm.cli", "run"]
        commands: dict[str, tuple[list[str], Path]] = {
            "bare Textual + DuckDB, one DataTable (floor)": ([sys.executable, __file__, "--bare", str(store)], HERE),
        }
        if args.base is not None:
            commands[f"tui-crm run, {args.base}"] = (run, args.base.resolve())
        commands["tui-crm run, this checkout"] = (run, HERE)
        found: dict[str, list[tuple[float, int, float]]] = {name: [] for name in commands}
        load_before = " ".join(f"{x:.2f}" for x in os.getloadavg())
        for argv, root in commands.values():  # warm the page cache and byte-compile
            sample(argv, {**env, "PYTHONPATH": str(root)}, markers, cwd=root)
        for _ in range(args.runs):
            for name, (argv, root) in commands.items():
                found[name].append(sample(argv, {**env, "PYTHONPATH": str(root)}, markers, cwd=root))
        print()
        print(f"cold start to the first painted client row, {args.products:,} products × 10 warehouses, "
              f"{args.clients} clients, 80×24 pty, {args.runs} runs each (alternating)")
        print(f"load average before / after: {load_before} / {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print("| what | p50 | p95 | min | max | CPU p50 | RSS p50 |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for name, runs in found.items():
            secs = sorted(s for s, _, _ in runs)
            rss = statistics.median(r for _, r, _ in runs) / 1024
            cpu = statistics.median(c for _, _, c in runs)
            p95 = secs[max(0, math.ceil(0.95 * len(secs)) - 1)]  # nearest rank
            print(f"| {name} | {statistics.median(secs):.3f} s | {p95:.3f} s | {secs[0]:.3f} s | {secs[-1]:.3f} s "
                  f"| {cpu:.2f} s | {rss:.0f} MB |")
        medians = {name: (statistics.median(s for s, _, _ in r), statistics.median(m for _, m, _ in r),
                          statistics.median(c for _, _, c in r)) for name, r in found.items()}
        floor_s, floor_rss, floor_cpu = next(iter(medians.values()))
        for name, (t_s, t_rss, t_cpu) in list(medians.items())[1:]:
            print(f"{name} / floor: {t_s / floor_s:.2f}× time, {t_cpu / floor_cpu:.2f}× CPU, "
                  f"{t_rss / floor_rss:.2f}× RSS")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--bare":
        bare(sys.argv[2])
    else:
        main()
