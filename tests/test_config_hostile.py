"""Hostile settings (issue 9, item 5 and the config half of item 6): every bad file, key, number
or URL is refused with a plain ConfigError that names the file and the key, never a traceback
later, and never echoes a password."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui_crm.config import ConfigError, load


def write(tmp_path: Path, text: str | bytes) -> Path:
    path = tmp_path / "config.toml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("section", "key", "value"), [
    ("sync", "pull_seconds", "nan"),
    ("sync", "pull_seconds", "inf"),
    ("sync", "pull_seconds", "1e300"),
    ("sync", "live_seconds", "nan"),
    ("sync", "live_seconds", "-inf"),
    ("sync", "live_seconds", "1e300"),
    ("accounting", "timeout", "nan"),
    ("accounting", "timeout", "inf"),
    ("accounting", "timeout", "1e300"),
    ("accounting", "timeout", "0"),
    ("accounting", "page_size", "99999999999999"),
    ("accounting", "page_size", "-1"),
])
def test_numbers_must_be_finite_and_in_range(tmp_path: Path, section: str, key: str, value: str) -> None:
    path = write(tmp_path, f"[{section}]\n{key} = {value}\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    text = str(err.value)
    assert f"{section}.{key}" in text and str(path) in text and " from " in text and " to " in text


def test_numbers_in_range_are_kept(tmp_path: Path) -> None:
    path = write(tmp_path, "[sync]\npull_seconds = 30\nlive_seconds = 0.5\n[accounting]\ntimeout = 10\n"
                           "page_size = 500\n")
    settings = load(path)
    assert settings.sync.pull_seconds == 30.0 and settings.sync.live_seconds == 0.5
    assert settings.accounting.timeout == 10.0 and settings.accounting.page_size == 500


def test_unknown_key_is_refused_with_a_suggestion(tmp_path: Path) -> None:
    path = write(tmp_path, "[accounting]\nverify_tsl = false\n")
    with pytest.raises(ConfigError) as err:
        load(path)
    assert "unknown key accounting.verify_tsl (did you mean verify_tls?)" in str(err.value)
    assert str(path) in str(err.value)


def test_unknown_key_in_every_section(tmp_path: Path) -> None:
    for text, name in (("[sync]\npull_second = 5\n", "sync.pull_second (did you mean pull_seconds?)"),
                       ("[ui]\nlanguge = 'en'\n", "ui.languge (did you mean language?)"),
                       ("[store]\npaht = 'x'\n", "store.paht (did you mean path?)")):
        with pytest.raises(ConfigError, match="unknown key") as err:
            load(write(tmp_path, text))
        assert name in str(err.value)


def test_capitalised_password_is_an_unknown_key_and_never_echoed(tmp_path: Path) -> None:
    path = write(tmp_path, '[accounting]\nPassword = "hunter2-secret"\n')
    with pytest.raises(ConfigError) as err:
        load(path)
    assert "unknown key accounting.Password" in str(err.value)
    assert "hunter2-secret" not in str(err.value)


def test_lowercase_password_keeps_its_own_message_without_the_value(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as err:
        load(write(tmp_path, '[accounting]\npassword = "hunter2-secret"\n'))
    assert "accounting.password is not allowed" in str(err.value)
    assert "hunter2-secret" not in str(err.value)


def test_unknown_section_suggests(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown section \[synk\] \(did you mean sync\?\)"):
        load(write(tmp_path, "[synk]\npull_seconds = 5\n"))


def test_file_not_utf8_is_a_config_error(tmp_path: Path) -> None:
    path = write(tmp_path, b"\xff\xfe[sync]\npull_seconds = 5\n")
    with pytest.raises(ConfigError, match="not UTF-8") as err:
        load(path)
    assert str(path) in str(err.value)


def test_config_path_that_is_a_folder_is_a_config_error(tmp_path: Path) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()
    with pytest.raises(ConfigError, match="is a folder"):
        load(folder)


def test_missing_file_still_means_defaults(tmp_path: Path) -> None:
    assert load(tmp_path / "nope.toml").sync.pull_seconds == 60.0


@pytest.mark.parametrize("url", ["http://[::1", "http://host:99999/", "https://[zz]/"])
def test_invalid_url_in_env_is_a_config_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("TUI_CRM_URL", url)
    with pytest.raises(ConfigError, match="TUI_CRM_URL"):
        load(tmp_path / "nope.toml")


def test_invalid_url_in_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"accounting\.url"):
        load(write(tmp_path, '[accounting]\nurl = "http://[::1"\n'))


def run_cli(*args: str, config: Path, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    env.update({"TUI_CRM_CONFIG": str(config), "PYTHONIOENCODING": "utf-8", "TUI_CRM_LANG": "en",
                **(extra_env or {})})
    return subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                          timeout=60, env=env)


@pytest.mark.parametrize(("content", "expect"), [
    ("[sync]\npull_seconds = nan\n", "sync.pull_seconds must be a number from 1 to 86400"),
    ("[accounting]\ntimeout = inf\n", "accounting.timeout must be a number"),
    ("[accounting]\nverify_tsl = false\n", "did you mean verify_tls?"),
    (b"\xc0\xc1 not utf-8\n", "not UTF-8"),
])
def test_cli_reports_bad_config_in_one_line_exit_2(tmp_path: Path, content: str | bytes, expect: str) -> None:
    path = write(tmp_path, content)
    for command in ("config", "status", "sync"):
        args = [command, "x"] if command == "status" else [command, "--once"] if command == "sync" else [command]
        done = run_cli(*args, "--store", str(tmp_path / "crm.duckdb"), config=path)
        assert done.returncode == 2, (command, done.stderr)
        assert "Traceback" not in done.stderr
        assert expect in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1


def test_cli_config_folder_and_bad_env_url(tmp_path: Path) -> None:
    folder = tmp_path / "conf"
    folder.mkdir()
    done = run_cli("config", config=folder)
    assert done.returncode == 2 and "is a folder" in done.stderr and "Traceback" not in done.stderr
    done = run_cli("config", config=tmp_path / "none.toml", extra_env={"TUI_CRM_URL": "http://[::1"})
    assert done.returncode == 2 and "TUI_CRM_URL" in done.stderr and "Traceback" not in done.stderr


def test_store_path_with_nul_is_refused_not_truncated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """DuckDB cuts a path at NUL: "a\\0b" would quietly open or create a file named "a"."""
    with pytest.raises(ConfigError, match=r"store\.path.*control character"):
        load(write(tmp_path, '[store]\npath = "a\\u0000b"\n'))
    monkeypatch.setenv("TUI_CRM_STORE", "crm\x1b[31m.duckdb")
    with pytest.raises(ConfigError, match="TUI_CRM_STORE"):
        load(tmp_path / "nope.toml")


def test_cli_store_path_with_nul_creates_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, '[store]\npath = "a\\u0000b"\n')
    for args in (("status", "x"), ("sync", "--once", "--url", "http://127.0.0.1:9/x/")):
        done = subprocess.run([sys.executable, "-m", "tui_crm.cli", *args], capture_output=True, text=True,
                              timeout=60, cwd=tmp_path, env={**os.environ, "TUI_CRM_CONFIG": str(path)})
        assert done.returncode == 2 and "control character" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]


def test_password_file_not_utf8_or_a_folder_is_a_config_error(tmp_path: Path) -> None:
    from tui_crm.config import AccountingSettings

    bad = tmp_path / "pw"
    bad.write_bytes(b"\xff\xfe")
    bad.chmod(0o600)
    with pytest.raises(ConfigError, match="not UTF-8"):
        AccountingSettings(password_file=str(bad)).password()
    folder = tmp_path / "pwdir"
    folder.mkdir(mode=0o700)
    with pytest.raises(ConfigError, match="cannot be read"):
        AccountingSettings(password_file=str(folder)).password()


def test_config_command_shows_the_sync_bounds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from tui_crm.cli import main

    path = write(tmp_path, "[sync]\ncycle_deadline = 300\nmax_shrink_percent = 20\n[accounting]\nmax_pages = 500\n")
    assert main(["config", "--config", str(path), "--store", str(tmp_path / "crm.duckdb")]) == 0
    out = capsys.readouterr().out
    assert "a pull cycle stopped after 300 s; a catalogue may shrink by 20 % per pull" in out
    assert "at most 500 per collection" in out


def test_orders_reserve_policy_is_validated(tmp_path: Path) -> None:
    """`[orders] reserve` is post or request; anything else is refused in plain words."""
    from tui_crm.config import ConfigError, load

    cfg = tmp_path / "config.toml"
    cfg.write_text('[orders]\nreserve = "post"\n', encoding="utf-8")
    assert load(cfg).orders.reserve == "post"
    cfg.write_text("", encoding="utf-8")
    assert load(cfg).orders.reserve == "request"
    cfg.write_text('[orders]\nreserve = "pots"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"orders.reserve must be .*did you mean post"):
        load(cfg)


def test_files_saved_by_windows_notepad_with_a_byte_order_mark(tmp_path: Path) -> None:
    """Windows Notepad starts a UTF-8 file with a byte-order mark (and ends lines with CRLF). The
    settings file was 'not valid TOML (line 1, column 1)', a profile copy the same, and a
    password file's mark became the password's first character: 1C answered 401, no clue why."""
    from tui_crm.config import AccountingSettings
    from tui_crm.sync.profile import load_profile

    bom = b"\xef\xbb\xbf"
    profile = tmp_path / "my_profile.toml"
    profile.write_bytes(bom + b'extends = "ka1"\r\n')
    path = write(tmp_path, bom + b'[accounting]\r\nurl = "https://srv/base/odata/standard.odata/"\r\n'
                       b'profile = "my_profile.toml"\r\ntimeout = 5\r\n')
    settings = load(path)
    assert settings.accounting.url == "https://srv/base/odata/standard.odata/"
    assert settings.accounting.timeout == 5
    assert load_profile(settings.accounting.profile, base_dir=tmp_path) is not None
    secret = tmp_path / "pw"
    secret.write_bytes(bom + "пароль\r\n".encode())
    secret.chmod(0o600)
    assert AccountingSettings(password_file=str(secret)).password() == "пароль"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUI_CRM_")}
    done = subprocess.run([sys.executable, "-m", "tui_crm.cli", "config", "--config", str(path)],
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert "https://srv/base/odata/standard.odata/" in done.stdout


@pytest.mark.parametrize(("env", "expected"), [
    ("ru", "ru"), ("RU", "ru"), ("ru_RU.UTF-8", "ru"), ("en_US.UTF-8", "en"), ("EN", "en"),
    ("garbage", "ru"), ("", "ru"), ("[bold]", "ru"),
])
def test_tui_crm_lang_is_read_like_a_locale_and_junk_falls_back_to_the_config(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str, expected: str) -> None:
    """TUI_CRM_LANG=ru_RU.UTF-8 (copied from LANG) or RU was no language: the interface fell to
    the locale's, past `[ui] language = "ru"` in the config, so an English locale showed English."""
    monkeypatch.setenv("LANG", "en_US.UTF-8")
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    monkeypatch.setenv("TUI_CRM_LANG", env)
    settings = load(write(tmp_path, '[ui]\nlanguage = "ru"\n'))
    assert settings.ui.resolved_language() == expected


def test_config_command_says_fractional_settings_with_a_decimal_comma_in_russian(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """`tui-crm config` in Russian read "загрузка каждые 1.5 с", "тайм-аут 7.5 с": its sentences
    write Russian numbers with a decimal comma, as the sync log, money and percentages do; English
    keeps the point."""
    from tui_crm.cli import main

    path = write(tmp_path, "[sync]\npull_seconds = 1.5\nlive_seconds = 2.5\ncycle_deadline = 10.5\n"
                           "max_shrink_percent = 12.5\n[accounting]\ntimeout = 7.5\n")
    said = {}
    for lang in ("ru", "en"):
        monkeypatch.setenv("TUI_CRM_LANG", lang)
        assert main(["config", "--config", str(path), "--store", str(tmp_path / "crm.duckdb")]) == 0
        said[lang] = capsys.readouterr().out
    assert ("загрузка каждые 1,5 с; строки на экране каждые 2,5 с; цикл загрузки прерывается через 10,5 с; "
            "справочник может уменьшиться на 12,5 % за загрузку") in said["ru"], said["ru"]
    assert "тайм-аут 7,5 с;" in said["ru"], said["ru"]
    assert ("pull every 1.5 s; live rows every 2.5 s; a pull cycle stopped after 10.5 s; "
            "a catalogue may shrink by 12.5 % per pull") in said["en"], said["en"]
    assert "timeout 7.5 s;" in said["en"], said["en"]


def test_a_setting_out_of_range_says_its_bounds_with_a_decimal_comma_in_russian(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A setting out of range read "нужно число от 0.5 до 3600" in Russian. The bounds are words of
    the sentence (a decimal comma); the value quotes the file as written (TOML wants the point)."""
    from tui_crm.cli import main

    path = write(tmp_path, "[sync]\nlive_seconds = 0.1\n")
    said = {}
    for lang in ("ru", "en"):
        monkeypatch.setenv("TUI_CRM_LANG", lang)
        assert main(["config", "--config", str(path), "--store", str(tmp_path / "crm.duckdb")]) == 2
        said[lang] = capsys.readouterr().err
    assert "sync.live_seconds: нужно число от 0,5 до 3600, а задано 0.1" in said["ru"], said["ru"]
    assert "sync.live_seconds must be a number from 0.5 to 3600, got 0.1" in said["en"], said["en"]
