"""`tui-crm sync --once` against a real sandbox on loopback (issue 9): an emptied product catalogue
is refused with the reason and exit code 1, the mirror kept; `--accept-shrink` applies it."""

from __future__ import annotations

from pathlib import Path

import pytest

from onec_sandbox.server import start_in_thread
from onec_sandbox.state import SandboxState
from tests.clock import TestClock
from tui_crm.cli import main
from tui_crm.store import Store

PRODUCTS = "Catalog_Номенклатура"


# The refusal in each language: in Russian it was English ("Refused to apply the pull: …"), and the
# toast, the sync log and `tui-crm sync` show it to an operator who may not read English.
SAID = {
    "en": "pull failed: Refused to apply the pull: accounting now lists fewer rows (products 30 → 0)",
    "ru": ("Загрузка не применена: в учёте теперь меньше строк (товары 30 → 0), чем допустимо — одна "
           "загрузка может убрать не больше 50 %; прежние данные сохранены."),
}


@pytest.mark.parametrize("lang", ["en", "ru"])
def test_sync_once_refuses_an_emptied_catalogue_until_accept_shrink(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, lang: str) -> None:
    monkeypatch.setenv("TUI_CRM_LANG", lang)
    store = tmp_path / "crm.duckdb"
    with start_in_thread(SandboxState.seeded(products=30, warehouses=2, seed=8)) as sandbox:
        argv = ["sync", "--once", "--quiet", "--no-push", "--url", sandbox.base_url, "--store", str(store),
                "--config", str(tmp_path / "none.toml")]
        assert main(argv) == 0, capsys.readouterr().err
        products = sandbox.state.objects[PRODUCTS]
        for key in [k for k, r in products.items() if not r.get("IsFolder")]:
            del products[key]
        capsys.readouterr()
        assert main([*argv, "--full"]) == 1
        err = capsys.readouterr().err
        assert SAID[lang] in err
        assert "tui-crm sync --once --accept-shrink" in err
        assert lang == "en" or "Refused" not in err
        s = Store.open(store, clock=TestClock())
        try:
            assert s.mirror_counts()["products"] == 30
        finally:
            s.close()
        assert main([*argv, "--accept-shrink"]) == 0, capsys.readouterr().err
        s = Store.open(store, clock=TestClock())
        try:
            assert s.mirror_counts()["products"] == 0
        finally:
            s.close()
