"""schema.sql at the top of the repository is the store's one source; the package ships it."""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_packaged_schema_is_the_top_level_file() -> None:
    packaged = resources.files("tui_crm.store").joinpath("schema.sql").read_text(encoding="utf-8")
    assert packaged == (ROOT / "schema.sql").read_text(encoding="utf-8")
    assert "CREATE TABLE" in packaged


def test_package_copy_is_a_link_not_a_second_source() -> None:
    # In git, tui_crm/store/schema.sql is a symlink to ../../schema.sql: the wheel build copies
    # the content in, editable installs follow the link. A plain copy here would be a second source.
    link = ROOT / "tui_crm" / "store" / "schema.sql"
    if not link.is_symlink() and os.name == "nt":  # pragma: no cover - checkouts without symlinks
        pytest.skip("this checkout does not keep symlinks")
    assert link.is_symlink()
    assert os.readlink(link) == "../../schema.sql"
