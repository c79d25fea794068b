"""The sync engine is created after the first list is painted (issue 13, cold start): the clients
list comes up on the store alone, the profile's custom fields work on it from the first frame,
and the engine, once made, gets the app's subscription and what the screens already watch."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.widgets import Input

from tests.custom.kit import BUILDING, RETAIL, all_kinds, mirror_industries
from tests.seed import CLIENT_ROMASHKA, CLIENT_STROY, FROZEN_NOW, seeded_store, settle
from tui_crm.app import CrmApp
from tui_crm.i18n import set_language
from tui_crm.screens.clients import ClientsScreen
from tui_crm.store import Store
from tui_crm.sync.odata import ODataClient
from tui_crm.sync.service import SyncService


async def engine_started(pilot: object) -> None:
    """Wait (no timing asserted) for the engine: it is made a moment after the frame with the
    first rows (app.ENGINE_START_AFTER_ROWS), once that frame could reach the terminal."""
    app = pilot.app  # type: ignore[attr-defined]
    for _ in range(200):
        await settle(pilot)
        if app.service is not None:
            return
        await pilot.pause(0.05)  # type: ignore[attr-defined]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = seeded_store(tmp_path / "crm.duckdb")
    mirror_industries(s)
    yield s
    s.close()


async def test_engine_is_made_after_the_first_rows_and_custom_fields_work_before(store: Store) -> None:
    set_language("en")
    store.set_custom("client", CLIENT_ROMASHKA, {"industry": RETAIL, "staff": "5"})
    store.set_custom("client", CLIENT_STROY, {"industry": BUILDING, "staff": "40"})
    made: list[SyncService] = []
    rows_when_made: list[int] = []
    app: CrmApp

    def engine() -> SyncService:
        screen = app.screen
        rows_when_made.append(len(screen._rows) if isinstance(screen, ClientsScreen) else -1)
        # A real engine pointed at a closed port; autosync is off, so it is never asked to run.
        made.append(SyncService(store, ODataClient("http://127.0.0.1:9/base/odata/standard.odata/")))
        return made[-1]

    app = CrmApp(store, None, engine=engine, autosync=False, clock=lambda: FROZEN_NOW, live_clock=False,
                 custom_fields=all_kinds())
    assert app.service is None and app.sync_view.online is None   # "connecting", not "offline"
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await engine_started(pilot)
            assert len(made) == 1, "the engine is made once, after the first rows"
            assert rows_when_made[0] > 0
            service = made[0]
            assert app.service is service and service._subscribers   # the app hears its events
            screen = app.screen
            assert isinstance(screen, ClientsScreen)
            screen.query_one("#search", Input).value = "industry=строит"    # a custom field filter
            await settle(pilot)
            assert [r.id for r in screen._rows] == [CLIENT_STROY]
            app.watch_orders(["00000000-0000-0000-0000-00000000000a"])
            assert service.watched[1] == ("00000000-0000-0000-0000-00000000000a",)
    finally:
        for service in made:
            await service.aclose()


async def test_watches_made_before_the_engine_reach_it(store: Store) -> None:
    set_language("en")
    service = SyncService(store, ODataClient("http://127.0.0.1:9/base/odata/standard.odata/"))
    app = CrmApp(store, None, engine=lambda: service, autosync=False, clock=lambda: FROZEN_NOW, live_clock=False)
    owner = object()
    app.watch_products(owner, "wh", "pt", ["p1", "p2"])
    app.watch_orders(["o1"])
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await engine_started(pilot)
            assert app.service is service
            assert service.watched == (("p1", "p2"), ("o1",))
    finally:
        await service.aclose()


async def test_started_is_called_once_after_the_first_rows(store: Store) -> None:
    """`tui-crm run` pauses the garbage collector for the start and resumes it through `started`:
    called once, after the first rows, also when there is no engine to make."""
    set_language("en")
    rows_when_started: list[int] = []
    app: CrmApp

    def started() -> None:
        screen = app.screen
        rows_when_started.append(len(screen._rows) if isinstance(screen, ClientsScreen) else -1)

    app = CrmApp(store, None, started=started, autosync=False, clock=lambda: FROZEN_NOW, live_clock=False)
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(200):
            await settle(pilot)
            if rows_when_started:
                break
            await pilot.pause(0.05)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        screen.query_one("#search", Input).value = "Ромашка"   # later lists do not call it again
        await settle(pilot)
        await pilot.pause(0.1)
    assert len(rows_when_started) == 1 and rows_when_started[0] > 0


def test_the_start_pauses_the_collector_and_resumes_it_once() -> None:
    import gc

    from tui_crm.runtime import pause_gc_for_startup, resume_gc

    assert gc.isenabled()
    try:
        pause_gc_for_startup()
        assert not gc.isenabled()
        resume_gc()
        assert gc.isenabled()
        frozen = gc.get_freeze_count()
        resume_gc()   # already running: nothing more is frozen
        assert gc.get_freeze_count() == frozen
    finally:
        gc.enable()
        gc.unfreeze()


async def test_the_clients_list_reads_its_rows_once_at_start_and_again_when_shown_again(store: Store) -> None:
    """The first rows are read as the list mounts; its first showing (a screen resume) does not
    read them again (a worker's query and a second fill of the list in the cold start), coming
    back to it from another screen does."""
    set_language("en")
    reads: list[str] = []
    client_rows = store.client_rows

    def counted(*args: object, **kwargs: object) -> object:
        reads.append(threading.current_thread().name)
        return client_rows(*args, **kwargs)  # type: ignore[arg-type]

    store.client_rows = counted  # type: ignore[method-assign]
    app = CrmApp(store, None, autosync=False, clock=lambda: FROZEN_NOW, live_clock=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert len(reads) == 1, reads
        screen = app.screen
        assert isinstance(screen, ClientsScreen) and screen._rows
        app.action_products()
        await settle(pilot)
        app.action_clients()
        await settle(pilot)
        assert len(reads) == 2, reads


async def test_a_sync_tick_cancelled_before_it_runs_leaves_no_coroutine_behind(store: Store) -> None:
    """A scheduler tick as the app quits: its worker is cancelled before it starts. The job's
    coroutine must be made only when the worker runs; one made up front was never awaited and
    Python said so on the terminal after F10 ("coroutine 'SyncService.live_tick' was never awaited")."""
    made: list[str] = []

    async def job() -> None:
        made.append("ran")

    def factory():
        made.append("made")
        return job()

    app = CrmApp(store, None, clock=lambda: FROZEN_NOW, live_clock=False)
    async with app.run_test() as pilot:
        await settle(pilot)
        worker = app._spawn_sync(factory)
        worker.cancel()  # type: ignore[attr-defined]
        await settle(pilot)
        assert made == []
        app._spawn_sync(factory)
        await settle(pilot)
        assert made == ["made", "ran"]


@pytest.mark.parametrize(("lang", "says"), [
    ("ru", "Синхронизация не запущена: не удалось загрузить набор корневых сертификатов"),
    ("en", "Sync did not start: the certificate authority bundle could not be loaded"),
])
async def test_an_engine_that_cannot_start_is_said_in_the_language(store: Store, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch, lang: str,
                                                                  says: str) -> None:
    """The real engine with SSL_CERT_FILE naming a missing file: the toast said 'Sync failed:
    [Errno 2] No such file or directory' (English, no file named) in Russian too."""
    from tui_crm.config import AccountingSettings

    missing = tmp_path / "company-ca.pem"
    monkeypatch.setenv("SSL_CERT_FILE", str(missing))
    acc = AccountingSettings(url="https://127.0.0.1:9/base/odata/standard.odata/")
    set_language(lang)
    app = CrmApp(store, None, engine=lambda: SyncService.from_settings(store, acc), autosync=False,
                 clock=lambda: FROZEN_NOW, live_clock=False)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            for _ in range(200):
                await settle(pilot)
                if app.sync_view.online is False:
                    break
                await pilot.pause(0.05)
            toasts = [n.message for n in app._notifications]
            assert any(t.startswith(says) and str(missing) in t for t in toasts), toasts
            assert app.sync_view.error is not None and str(missing) in app.sync_view.error
            if lang == "ru":
                assert not [t for t in toasts if "No such file" in t or "failed" in t], toasts
    finally:
        set_language("en")
