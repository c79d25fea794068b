"""`Store.request_shipment` checks the requests the warehouse has not answered yet in the same
transaction as it writes the new one (docs/architecture.md: one connection, one writer at a time).
It read them before its transaction, so a second request made meanwhile — a quick second `s`, the
shell's and the TUI's thread — passed the same check and the warehouse was asked twice."""

from __future__ import annotations

import threading
from decimal import Decimal as D
from pathlib import Path

from tests.clock import TestClock
from tests.seed import INVOICE_ID, mark_posted, seed_client, seed_invoice, seed_store
from tui_crm.store import Store


def _store(tmp_path: Path) -> Store:
    store = Store.open(tmp_path / "crm.duckdb", clock=TestClock())
    seed_store(store)
    seed_client(store)
    seed_invoice(store, lines=((1, "10"), (3, "4")))
    mark_posted(store)
    return store


def test_the_check_reads_inside_the_write_transaction(tmp_path: Path) -> None:
    store = _store(tmp_path)
    read = store.shipment_requests
    inside: list[bool] = []

    def spy(invoice_id: str):  # the real read; it notes whether this thread's transaction is open
        cur = store.db.cursor()
        first, second = (cur.execute("SELECT txid_current()").fetchone()[0] for _ in range(2))
        inside.append(first == second)   # outside a transaction every statement is one of its own
        return read(invoice_id)

    store.shipment_requests = spy  # type: ignore[method-assign]
    try:
        rid, why = store.request_shipment(INVOICE_ID, {1: D(10)})
        assert rid and why is None
        assert inside == [True]
    finally:
        store.close()


def test_two_requests_at_once_ask_the_warehouse_once(tmp_path: Path) -> None:
    """Thread A reads the open requests; thread B asks for the whole line meanwhile. The first
    to write wins, the other is refused with the words of the check."""
    store = _store(tmp_path)
    read = store.shipment_requests
    outcomes: dict[str, tuple[str | None, str | None]] = {}
    started = threading.Event()

    def other() -> None:
        outcomes["b"] = store.request_shipment(INVOICE_ID, {1: D(10)})

    b = threading.Thread(target=other)

    def spy(invoice_id: str):
        found = read(invoice_id)
        if threading.current_thread() is not b and not started.is_set():
            started.set()
            b.start()
            # Old code: B runs through between A's read and A's write. Now B waits for A's
            # transaction, so this wait ends by its bound and A writes first.
            b.join(1.0)
        return found

    store.shipment_requests = spy  # type: ignore[method-assign]
    try:
        outcomes["a"] = store.request_shipment(INVOICE_ID, {1: D(10)})
        b.join()
        made = [k for k, (rid, _) in outcomes.items() if rid]
        assert len(made) == 1, outcomes
        refused = outcomes["b" if made == ["a"] else "a"][1]
        assert refused and "already asked for" in refused
        assert len([r for r in read(INVOICE_ID) if r.state.open]) == 1
    finally:
        store.close()
