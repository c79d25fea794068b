"""The shell commands speak the operator's language, chosen as the TUI chooses it (config, the
language last chosen in the app, TUI_CRM_LANG read like a locale, the locale): `--help`, `status`,
`sync --once`, `doctor`, `client add`, config errors and the store's refusals. `--json` stays as
it was. Every case runs the real command in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.clock import TestClock
from tests.seed import seed_client, seeded_store
from tui_crm.store import Store

UNREACHABLE = "http://127.0.0.1:9/base/odata/standard.odata/"
CYRILLIC = re.compile(r"[А-Яа-яЁё]")


def tui_crm(*args: str, config: Path, lang: str | None = "ru", timeout: float = 60,
            extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_CONFIG": str(config), "PYTHONIOENCODING": "utf-8", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"})
    if lang is not None:
        env["TUI_CRM_LANG"] = lang
    env.update(extra or {})
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=timeout, env=env)


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return tmp_path / "none.toml"  # missing: defaults, no accounting URL


@pytest.fixture
def store_path(tmp_path: Path) -> Path:
    path = tmp_path / "crm.duckdb"
    store = Store.open(path, clock=TestClock())
    try:
        seed_client(store)
    finally:
        store.close()
    return path


def test_help_is_russian_with_argparse_words_too(config: Path) -> None:
    done = tui_crm("--help", config=config)
    assert done.returncode == 0, done.stderr
    assert "использование: tui-crm" in done.stdout
    assert "Клавиатурная CRM" in done.stdout and "показать эту справку и выйти" in done.stdout
    assert "usage:" not in done.stdout and "options:" not in done.stdout
    done = tui_crm("status", "--help", config=config)
    assert "использование: tui-crm status" in done.stdout and "машиночитаемый" in done.stdout
    assert "позиционные аргументы" in done.stdout and "параметры" in done.stdout
    done = tui_crm("status", config=config)  # argparse's own error, in Russian
    assert done.returncode == 2 and "ошибка:" in done.stderr and "нужны аргументы" in done.stderr
    assert "Traceback" not in done.stderr


def test_help_is_english_under_tui_crm_lang_en(config: Path) -> None:
    done = tui_crm("--help", config=config, lang="en-US")
    assert "usage: tui-crm" in done.stdout and "Keyboard-driven terminal CRM" in done.stdout
    assert not CYRILLIC.search(done.stdout.replace("ИНН", ""))


def test_config_language_decides_when_no_env(tmp_path: Path) -> None:
    """The same rule as the TUI: `[ui] language` in the config file, without TUI_CRM_LANG."""
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nlanguage = "ru"\n', encoding="utf-8")
    done = tui_crm("--help", config=config, lang=None)
    assert "использование: tui-crm" in done.stdout


def test_status_found_and_not_found_in_russian(config: Path, store_path: Path, tmp_path: Path) -> None:
    done = tui_crm("status", "Ромашка", "--store", str(store_path), config=config)
    assert done.returncode == 0, done.stderr
    assert "Клиент" in done.stdout and "Долг" in done.stdout and "в учёте" in done.stdout
    assert "ООО «Ромашка»" in done.stdout
    done = tui_crm("status", "Нет такого", "--store", str(store_path), config=config)
    assert done.returncode == 3 and "Ничего не найдено." in done.stdout
    invoices = tmp_path / "invoices.duckdb"
    seeded_store(invoices).close()
    done = tui_crm("status", "Ромашка", "--store", str(invoices), config=config)
    assert done.returncode == 0, done.stderr
    header = done.stdout.splitlines()[0].split()
    assert header[:3] == ["Номер", "Клиент", "Сумма"] and "Состояние" in header
    assert "проведён, закрыт" in done.stdout and "в очереди" in done.stdout and "(ещё нет)" in done.stdout
    # --json keeps its English keys and values
    done = tui_crm("status", "Ромашка", "--json", "--store", str(store_path), config=config)
    assert json.loads(done.stdout)["clients"][0]["sync_state"] == "in_accounting"


def test_status_missing_store_is_said_in_russian(tmp_path: Path, config: Path) -> None:
    done = tui_crm("status", "x", "--store", str(tmp_path / "nope.duckdb"), config=config)
    assert done.returncode == 2 and "файл данных CRM" in done.stderr and "не существует" in done.stderr


def test_store_refusal_is_said_in_russian(tmp_path: Path, config: Path) -> None:
    folder = tmp_path / "crm.duckdb"
    folder.mkdir()
    done = tui_crm("status", "x", "--store", str(folder), config=config)
    assert done.returncode == 2 and "это папка" in done.stderr, done.stderr


@pytest.mark.parametrize("query", ["", "   ", "\t"])
@pytest.mark.parametrize(("lang", "words"), [("ru", "введите название, телефон, ИНН или номер счёта"),
                                             ("en", "type a client name, phone, ИНН or invoice number")])
def test_status_blank_query_is_a_usage_error(config: Path, store_path: Path, query: str, lang: str,
                                             words: str) -> None:
    """A blank search listed up to 20 clients (exit 0): a mistake reads as an answer."""
    done = tui_crm("status", query, "--store", str(store_path), config=config, lang=lang)
    assert done.returncode == 2, (done.returncode, done.stdout, done.stderr)
    assert words in done.stderr and done.stdout == ""


def test_sync_once_unreachable_in_russian(tmp_path: Path, config: Path) -> None:
    done = tui_crm("sync", "--once", "--url", UNREACHABLE, "--store", str(tmp_path / "crm.duckdb"),
                   config=config)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "загрузка не удалась" in done.stderr, done.stderr
    done = tui_crm("sync", "--once", "--store", str(tmp_path / "crm.duckdb"), config=config)
    assert done.returncode == 2 and "не задан адрес учёта" in done.stderr, done.stderr


def test_doctor_in_russian(config: Path) -> None:
    done = tui_crm("doctor", "--url", UNREACHABLE, config=config)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert "Проверить публикацию не удалось" in done.stdout, (done.stdout, done.stderr)


def test_client_add_bad_inn_in_russian(config: Path, store_path: Path) -> None:
    done = tui_crm("client", "add", "--name", "ООО Х", "--inn", "7736050004", "--kpp", "773601001",
                   "--store", str(store_path), config=config)
    assert done.returncode == 1, done.stderr
    assert "tui-crm client add: --inn:" in done.stderr and "ИНН" in done.stderr
    assert CYRILLIC.search(done.stderr.split("--inn:")[1].replace("ИНН", ""))
    done = tui_crm("client", "add", "--name", "ООО Х", "--store", str(store_path.with_name("no.duckdb")),
                   config=config)
    assert done.returncode == 2 and "не существует" in done.stderr, done.stderr


@pytest.mark.parametrize(("lang", "words"), [("ru", "sync.pull_seconds: нужно число"),
                                             ("en", "sync.pull_seconds must be a number")])
def test_config_type_error_in_plain_words(tmp_path: Path, lang: str, words: str) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[sync]\npull_seconds = "often"\n', encoding="utf-8")
    done = tui_crm("status", "x", config=config, lang=lang)
    assert done.returncode == 2 and words in done.stderr, done.stderr
    assert "float" not in done.stderr and "Traceback" not in done.stderr
    config.write_text('[ui]\ntheme = 5\n[accounting]\nverify_tls = "yes"\n', encoding="utf-8")
    done = tui_crm("status", "x", config=config, lang=lang)
    assert done.returncode == 2 and " str" not in done.stderr and " bool" not in done.stderr, done.stderr


def test_no_english_leaks_from_the_shell_commands() -> None:
    """Every string the shell commands register has its Russian text, and every --help text of
    the parser (commands, options, descriptions) comes out Russian."""
    import argparse

    from tui_crm import cli, config, status_cmd  # noqa: F401 - their strings register at import
    from tui_crm.i18n import _STRINGS, language, set_language
    from tui_crm.store import db  # noqa: F401

    prefixes = ("cli.", "status.cmd.", "config.", "store.", "argparse.", "quick.", "doctor.")
    missing = [k for k, v in _STRINGS.items() if k.startswith(prefixes) and not v.get("ru")]
    assert missing == []
    before = language()
    set_language("ru")
    try:
        with cli._argparse_words():
            parser = cli.build_parser()
        english = []

        def walk(p: argparse.ArgumentParser) -> None:
            for text in (p.description,):
                if text and not CYRILLIC.search(text):
                    english.append(text)
            for action in p._actions:
                if action.help and action.help is not argparse.SUPPRESS and not CYRILLIC.search(action.help):
                    english.append(action.help)
                if isinstance(action, argparse._SubParsersAction):
                    for choice in action._choices_actions:
                        if not CYRILLIC.search(choice.help or ""):
                            english.append(choice.help)
                    for sub in action.choices.values():
                        walk(sub)

        walk(parser)
        assert english == []
    finally:
        set_language(before)


def test_unreadable_config_leaves_the_locale_to_decide(tmp_path: Path) -> None:
    """A config file that cannot be read names no language: its error is said in the locale's
    (no TUI_CRM_LANG here), not in English."""
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nlanguage = "en"\n[sync]\npull_seconds = "often"\n', encoding="utf-8")
    done = tui_crm("status", "x", config=config, lang=None, extra={"LANG": "ru_RU.UTF-8", "LC_ALL": ""})
    assert done.returncode == 2 and "sync.pull_seconds: нужно число" in done.stderr, done.stderr


def test_status_asking_an_unreachable_accounting_says_why_in_russian(tmp_path: Path, store_path: Path) -> None:
    """While a TUI holds the store, `status` asks 1C; when 1C cannot be reached, the Russian line
    carried the OData client's English sentence ("Accounting (1C) at … is unreachable …")."""
    config = tmp_path / "config.toml"
    config.write_text(f'[accounting]\nurl = "{UNREACHABLE}"\n', encoding="utf-8")
    holder = Store.open(store_path, clock=TestClock())  # DuckDB locks the file, as a running TUI does
    try:
        done = tui_crm("status", "ТД1", "--store", str(store_path), config=config, timeout=120)
    finally:
        holder.close()
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "недоступен" in done.stderr, done.stderr
    assert "unreachable" not in done.stderr and "Accounting" not in done.stderr, done.stderr


@pytest.mark.parametrize(("lang", "says"), [
    ("ru", "не удалось загрузить набор корневых сертификатов"),
    ("en", "the certificate authority bundle could not be loaded"),
])
def test_sync_with_a_missing_ca_bundle_names_it_in_the_language(tmp_path: Path, config: Path, lang: str,
                                                                says: str) -> None:
    """SSL_CERT_FILE naming a file that is not there: the sync said 'unexpected error
    (FileNotFoundError: [Errno 2] No such file or directory)' and exit 0 — no file named, English."""
    missing = tmp_path / "company-ca.pem"
    done = tui_crm("sync", "--once", "--url", UNREACHABLE.replace("http://", "https://"), "--store",
                   str(tmp_path / "crm.duckdb"), config=config, lang=lang, extra={"SSL_CERT_FILE": str(missing)})
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert says in done.stderr and str(missing) in done.stderr and "SSL_CERT_FILE" in done.stderr, done.stderr
    assert "FileNotFoundError" not in done.stderr and "unexpected" not in done.stderr
    if lang == "ru":
        assert "cannot" not in done.stderr and "No such file" not in done.stderr, done.stderr


@pytest.mark.parametrize(("lang", "says"), [
    ("ru", "tui-crm sync: синхронизация не запущена: {p}: нет таблицы [profile] (name, generation)"),
    ("en", "tui-crm sync: the sync did not start: {p}: missing [profile] table (name, generation)"),
])
def test_sync_with_a_broken_profile_says_it_in_the_language(tmp_path: Path, lang: str, says: str) -> None:
    """A profile error reached the operator as 'tui-crm sync: <English>' in Russian too."""
    profile = tmp_path / "my.toml"
    profile.write_text('[counterparty]\nentity = "Catalog_Контрагенты"\n', encoding="utf-8")
    config = tmp_path / "crm.toml"
    config.write_text(f'[accounting]\nurl = "{UNREACHABLE}"\nprofile = "{profile}"\n', encoding="utf-8")
    done = tui_crm("sync", "--once", "--store", str(tmp_path / "crm.duckdb"), config=config, lang=lang)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    assert says.format(p=profile) in done.stderr, done.stderr
    config.write_text(f'[accounting]\nurl = "{UNREACHABLE}"\nprofile = "nope"\n', encoding="utf-8")
    missing = tui_crm("sync", "--once", "--store", str(tmp_path / "crm.duckdb"), config=config, lang=lang)
    assert missing.returncode == 2 and "'nope'" in missing.stderr, missing.stderr
    if lang == "ru":
        assert "neither" not in missing.stderr and "не встроенный профиль" in missing.stderr, missing.stderr


def test_every_profile_error_has_its_russian_with_the_same_values() -> None:
    import string

    from tui_crm.sync.profile import _RU, TEXT

    names = lambda t: {f for _, f, _, _ in string.Formatter().parse(t) if f}  # noqa: E731
    assert set(_RU) == set(TEXT)
    assert [k for k in TEXT if names(TEXT[k]) != names(_RU[k])] == []
    words = {k: re.sub(r"\{[^}]*\}", "", t) for k, t in _RU.items()}   # the values stay as they are
    assert not [k for k, t in words.items() if re.search(r"\b(must|needs|is not|unknown|known)\b", t)]


# -- the language saved for the store the command works on ------------------------------------------

def test_commands_speak_the_language_saved_for_the_store_they_use(tmp_path: Path, config: Path) -> None:
    """The default store's folder says English, the demo's (or the --store's) Russian: a command
    working on the demo's store spoke English — it read the default store's saved choice; `sync`
    read no saved choice at all. No TUI_CRM_LANG: the saved choice decides."""
    from tui_crm.config import save_ui_state

    xdg = tmp_path / "xdg"
    data = xdg / "tui-crm"
    save_ui_state(data / "ui-state.json", language="en")          # the default store's choice
    demo = tmp_path / "demo"
    demo_store = demo / "crm.duckdb"
    demo.mkdir()
    store = Store.open(demo_store, clock=TestClock())
    try:
        seed_client(store)
    finally:
        store.close()
    save_ui_state(demo / "ui-state.json", language="ru")          # the demo's choice
    extra = {"XDG_DATA_HOME": str(xdg), "LANG": "en_US.UTF-8"}

    # --store names the demo's store
    done = tui_crm("status", "Ромашка", "--store", str(demo_store), config=config, lang=None, extra=extra)
    assert done.returncode == 0 and "Клиент" in done.stdout, (done.stdout, done.stderr)
    done = tui_crm("sync", "--once", "--url", UNREACHABLE, "--store", str(demo_store), config=config, lang=None,
                   extra=extra)
    assert done.returncode == 1 and "загрузка не удалась" in done.stderr, done.stderr

    # no store named, a `tui-crm demo` running from the default demo folder: its store is used
    (data / "demo").mkdir(parents=True)
    (data / "demo" / "running.json").write_text(json.dumps({"url": UNREACHABLE, "store": str(demo_store),
                                                            "pid": os.getpid()}), encoding="utf-8")
    done = tui_crm("status", "Ромашка", config=config, lang=None, extra=extra)
    assert done.returncode == 0 and str(demo_store) in done.stderr, (done.stdout, done.stderr)   # the demo's store
    assert "Клиент" in done.stdout and "Client" not in done.stdout, done.stdout
    # --json stays English whatever the language
    done = tui_crm("status", "Ромашка", "--json", config=config, lang=None, extra=extra)
    assert json.loads(done.stdout)["clients"][0]["sync_state"] == "in_accounting"


def test_sync_once_says_its_seconds_with_a_decimal_comma_in_russian(tmp_path: Path) -> None:
    """`sync --once`'s summary read "загружено строк: 120 за 1.3 с": Russian writes 1,3 (as the sync
    log, money and percentages do); English keeps 1.3."""
    from onec_sandbox.server import start_in_thread
    from onec_sandbox.state import SandboxState

    running = start_in_thread(SandboxState.seeded(products=10, warehouses=1, seed=3))
    try:
        config = tmp_path / "crm.toml"
        config.write_text(f'[accounting]\nurl = "{running.base_url}"\n', encoding="utf-8")
        said = {}
        for lang in ("ru", "en"):
            done = tui_crm("sync", "--once", "--store", str(tmp_path / f"{lang}.duckdb"), config=config, lang=lang,
                           timeout=120)
            assert done.returncode == 0, done.stdout + done.stderr
            said[lang] = done.stdout + done.stderr
    finally:
        running.stop()
    assert re.search(r"загружено строк: \d+ за \d+,\d с \(запросов: \d+\)", said["ru"]), said["ru"]
    assert re.search(r"pulled \d+ rows in \d+\.\d s \(\d+ requests\)", said["en"]), said["en"]
