"""Settings: a TOML file in the user's config folder, one env var to point elsewhere.

Order of precedence (lowest first): built-in defaults, the TOML file, `TUI_CRM_*` environment
variables, command-line flags the user actually typed. Passwords are never stored here in the
clear: the file names an environment variable or a 0600 file that holds the password.
"""

from __future__ import annotations

import contextlib
import difflib
import json
import locale
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import platformdirs

from tui_crm.i18n import number, register, tr

APP_NAME = "tui-crm"
CONFIG_ENV = "TUI_CRM_CONFIG"
STORE_ENV = "TUI_CRM_STORE"
URL_ENV = "TUI_CRM_URL"
USER_ENV = "TUI_CRM_USER"
PASSWORD_ENV_DEFAULT = "TUI_CRM_PASSWORD"
LANGUAGE_ENV = "TUI_CRM_LANG"


class ConfigError(Exception):
    """A setting that cannot be used, with the file and key named in plain words (in the
    interface language at the time it is raised: the shell commands choose it first)."""


_EXAMPLE_URL = "https://server/base/odata/standard.odata/"

register({
    "config.ca_bundle": {
        "en": "the certificate authority bundle could not be loaded ({path}: {error}); check SSL_CERT_FILE and "
              "SSL_CERT_DIR, or unset them to use the system's",
        "ru": "не удалось загрузить набор корневых сертификатов ({path}: {error}); проверьте SSL_CERT_FILE и "
              "SSL_CERT_DIR или уберите их, чтобы использовать системный",
    },
    "config.ca_bundle.missing": {"en": "no such file or folder", "ru": "нет такого файла или папки"},
    "config.password_file.unreadable": {"en": "accounting.password_file {path} cannot be read: {error}",
                                        "ru": "accounting.password_file {path} не прочитать: {error}"},
    "config.password_file.open": {
        "en": "accounting.password_file {path} is readable by other users; run: chmod 600 {path}",
        "ru": "accounting.password_file {path} могут читать другие пользователи; выполните: chmod 600 {path}"},
    "config.password_file.not_utf8": {"en": "accounting.password_file {path} is not UTF-8 text",
                                      "ru": "accounting.password_file {path} — не текст в UTF-8"},
    "config.path_control": {"en": "{where}: the path {path} contains a control character",
                            "ru": "{where}: в пути {path} есть управляющий символ"},
    "config.url_invalid": {"en": "{where}: {url} is not a valid address ({error}); expected something like {example}",
                           "ru": "{where}: {url} — неверный адрес ({error}); нужен вида {example}"},
    "config.url_not_http": {"en": "{where}: {url} is not an http(s) address; expected something like {example}",
                            "ru": "{where}: {url} — не адрес http(s); нужен вида {example}"},
    "config.url_login": {
        "en": "{where}: put the login in accounting.username and the password in an env var, not in the URL",
        "ru": "{where}: логин укажите в accounting.username, а пароль — в переменной окружения, не в адресе"},
    "config.timezone": {
        "en": "{where}: {name} is not a time zone this machine knows; use an IANA name such as Europe/Moscow "
              "or Asia/Yekaterinburg (empty: this machine's zone)",
        "ru": "{where}: {name} — такого часового пояса эта машина не знает; укажите имя IANA, например "
              "Europe/Moscow или Asia/Yekaterinburg (пусто: пояс этой машины)"},
    "config.not_table": {"en": "{path}: [{name}] must be a table", "ru": "{path}: [{name}] должен быть таблицей"},
    "config.did_you_mean": {"en": " (did you mean {name}?)", "ru": " (может быть, {name}?)"},
    "config.unknown_key": {"en": "{path}: unknown key {setting}{hint}; known keys in [{name}]: {known}",
                           "ru": "{path}: неизвестный ключ {setting}{hint}; ключи в [{name}]: {known}"},
    "config.wrong_type": {"en": "{where} must be {want}, got {value}", "ru": "{where}: нужно {want}, а задано {value}"},
    "config.want.float": {"en": "a number", "ru": "число"},
    "config.want.int": {"en": "a whole number", "ru": "целое число"},
    "config.want.str": {"en": "text", "ru": "текст"},
    "config.want.bool": {"en": "true or false", "ru": "true или false"},
    "config.range": {"en": "{where} must be a number from {low} to {high}, got {value}",
                     "ru": "{where}: нужно число от {low} до {high}, а задано {value}"},
    "config.folder": {"en": "{path} is a folder, not a settings file", "ru": "{path} — папка, а не файл настроек"},
    "config.not_utf8": {"en": "{path} is not UTF-8 text (byte {n}); save it as UTF-8",
                        "ru": "{path} — не текст в UTF-8 (байт {n}); сохраните его в UTF-8"},
    "config.unreadable": {"en": "{path} cannot be read: {error}", "ru": "{path} не прочитать: {error}"},
    "config.not_toml": {"en": "{path} is not valid TOML: {error}", "ru": "{path} — неверный TOML: {error}"},
    "config.unknown_section": {"en": "{path}: unknown section [{name}]{hint}; known: {known}",
                               "ru": "{path}: неизвестный раздел [{name}]{hint}; есть: {known}"},
    "config.password_in_file": {
        "en": "{path}: accounting.password is not allowed; set password_env (an environment variable name) or "
              "password_file (a file only you can read)",
        "ru": "{path}: accounting.password указывать нельзя; задайте password_env (имя переменной окружения) "
              "или password_file (файл, который можете читать только вы)"},
    "config.language": {"en": "ui.language must be auto, en or ru, got {value}",
                        "ru": "ui.language: нужно auto, en или ru, а задано {value}"},
    "config.reserve": {
        "en": "{path}: orders.reserve must be \"post\" (the CRM posts the order in accounting, which reserves its "
              "goods) or \"request\" (accounting is asked to), got {value}{hint}",
        "ru": "{path}: orders.reserve: нужно \"post\" (CRM проводит заказ в учёте, и товар резервируется) или "
              "\"request\" (учёт просят провести), а задано {value}{hint}"},
})


def config_dir() -> Path:
    return platformdirs.user_config_path(APP_NAME)


def data_dir() -> Path:
    return platformdirs.user_data_path(APP_NAME)


def log_dir() -> Path:
    return platformdirs.user_log_path(APP_NAME)


def default_config_path() -> Path:
    env = os.environ.get(CONFIG_ENV)
    return Path(env).expanduser() if env else config_dir() / "config.toml"


@dataclass(frozen=True)
class AccountingSettings:
    url: str = ""
    username: str = ""
    password_env: str = PASSWORD_ENV_DEFAULT
    password_file: str = ""
    profile: str = "ka1"
    verify_tls: bool = True
    timeout: float = 30.0
    page_size: int = 1000
    max_pages: int = 100_000      # pages one collection may take before the read is stopped
    heavy_timeout: float = 300.0  # read timeout of known-heavy reads (registers, big catalogs)
    max_page_mb: float = 64.0     # the most one answer may hold; bigger ones stop the read
    server_timezone: str = ""     # the 1C server's time zone (IANA name); "" = this machine's

    def password(self) -> str | None:
        """Read the password from its env var or 0600 file; never kept in the config object."""
        if self.password_file:
            path = Path(self.password_file).expanduser()
            try:
                mode = path.stat().st_mode
            except OSError as exc:
                raise ConfigError(tr("config.password_file.unreadable", path=path, error=exc.strerror)) from exc
            if mode & (stat.S_IRWXG | stat.S_IRWXO):
                raise ConfigError(tr("config.password_file.open", path=path))
            try:
                # utf-8-sig: a file saved by Windows Notepad starts with a byte-order mark, which
                # would otherwise become the password's first character (a 401 with no clue why)
                return path.read_text(encoding="utf-8-sig").rstrip("\r\n")
            except UnicodeDecodeError as exc:
                raise ConfigError(tr("config.password_file.not_utf8", path=path)) from exc
            except OSError as exc:
                raise ConfigError(
                    tr("config.password_file.unreadable", path=path, error=exc.strerror or exc)) from exc
        value = os.environ.get(self.password_env)
        return value if value else None


@dataclass(frozen=True)
class SyncSettings:
    pull_seconds: float = 60.0
    live_seconds: float = 1.0           # rows on screen (bench/live.py: p95 change → painted)
    cycle_deadline: float = 600.0       # seconds one pull cycle may take before it is stopped
    max_shrink_percent: float = 50.0    # share of a catalogue one pull may drop (else refused)
    push_concurrency: int = 4           # requests a push keeps in flight (1C sessions); = push.PUSH_CONCURRENCY


# How the CRM reserves an invoice's goods (docs/reservation.md): "post" — the CRM posts the order
# in accounting (the company lets it post; КА 1.1 reserves by posting), "request" — it only marks
# the unposted order so accounting finds it in its own lists and posts it there.
RESERVE_POLICIES = ("request", "post")


@dataclass(frozen=True)
class OrderSettings:
    reserve: str = "request"


@dataclass(frozen=True)
class UiSettings:
    language: str = "auto"
    theme: str = "textual-dark"

    def resolved_language(self, saved: str | None = None) -> str:
        """'en' or 'ru': TUI_CRM_LANG, else the one last chosen in the app (`saved`, from the UI
        state file), else the configured one, else the locale's."""
        # TUI_CRM_LANG read like a locale name (RU, ru_RU.UTF-8, en-US); a value that names
        # neither language is passed over, not taken as "auto" over the saved and configured one
        env = re.split(r"[_.@-]", os.environ.get(LANGUAGE_ENV, "").strip().lower(), maxsplit=1)[0]
        lang = (env if env in ("en", "ru") else "") or saved or self.language
        if lang in ("en", "ru"):
            return lang
        loc = os.environ.get("LC_ALL") or os.environ.get("LANG") or (locale.getlocale()[0] or "")
        return "ru" if loc.lower().startswith("ru") else "en"


@dataclass(frozen=True)
class Settings:
    accounting: AccountingSettings = field(default_factory=AccountingSettings)
    sync: SyncSettings = field(default_factory=SyncSettings)
    ui: UiSettings = field(default_factory=UiSettings)
    orders: OrderSettings = field(default_factory=OrderSettings)
    store_path: Path = field(default_factory=lambda: data_dir() / "crm.duckdb")
    source: Path | None = None

    def with_overrides(
        self, *, url: str | None = None, store: Path | str | None = None, username: str | None = None
    ) -> Settings:
        """Flags the user typed win over the file and the environment."""
        acc = self.accounting
        if url is not None:
            acc = replace(acc, url=_check_url(url, "--url"))
        if username is not None:
            acc = replace(acc, username=username)
        path = _store_path(str(store), "--store") if store is not None else self.store_path
        return replace(self, accounting=acc, store_path=path)


def _store_path(text: str, where: str) -> Path:
    """A store path without control characters: DuckDB would cut the path at a NUL and quietly
    open (or create) another file."""
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise ConfigError(tr("config.path_control", where=where,
                             path=repr(text.encode("unicode_escape").decode("ascii"))))
    return Path(text).expanduser()


def _check_url(url: str, where: str) -> str:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number in 0..65535
    except ValueError as exc:
        raise ConfigError(
            tr("config.url_invalid", where=where, url=repr(url), error=exc, example=_EXAMPLE_URL)) from exc
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(tr("config.url_not_http", where=where, url=repr(url), example=_EXAMPLE_URL))
    if parts.username or parts.password:
        raise ConfigError(tr("config.url_login", where=where))
    return url if url.endswith("/") else url + "/"


def check_timezone(name: str, where: str) -> str:
    """An IANA time zone name (``Europe/Moscow``) the machine knows, or a ConfigError."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        if any(ord(ch) < 32 for ch in name) or len(name) > 64:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        shown = name.encode("unicode_escape").decode("ascii")[:70]
        raise ConfigError(tr("config.timezone", where=where, name=repr(shown))) from None
    return name


def _section(data: dict[str, Any], name: str, path: Path) -> dict[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise ConfigError(tr("config.not_table", path=path, name=name))
    return value


# Every key each section accepts; anything else is refused (a typo would otherwise be ignored
# without a word and the default silently used).
KNOWN_KEYS: dict[str, tuple[str, ...]] = {
    "accounting": ("url", "username", "password_env", "password_file", "profile", "verify_tls", "timeout",
                   "page_size", "max_pages", "heavy_timeout", "max_page_mb", "server_timezone"),
    "sync": ("pull_seconds", "live_seconds", "cycle_deadline", "max_shrink_percent", "push_concurrency"),
    "ui": ("language", "theme"),
    "orders": ("reserve",),
    "store": ("path",),
}

# Allowed (inclusive) ranges of the numeric settings: NaN, infinities and absurd values are
# refused here, with the file named, instead of failing later inside a timer or httpx.
RANGES: dict[str, tuple[float, float]] = {
    "accounting.timeout": (0.5, 3600.0),
    "accounting.page_size": (10, 10_000),
    "accounting.max_pages": (1, 1_000_000),
    "accounting.heavy_timeout": (0.5, 7200.0),
    "accounting.max_page_mb": (1.0, 4096.0),
    "sync.pull_seconds": (1.0, 86_400.0),
    "sync.live_seconds": (0.5, 3_600.0),
    "sync.cycle_deadline": (10.0, 86_400.0),
    "sync.max_shrink_percent": (1.0, 100.0),
    "sync.push_concurrency": (1, 32),   # sync.push.MAX_PUSH_CONCURRENCY
}


def _did_you_mean(name: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(name.lower(), choices, n=1)
    return tr("config.did_you_mean", name=close[0]) if close else ""


def _check_known(section: dict[str, Any], name: str, path: Path) -> None:
    """Refuse keys the section does not have. Only the key is named, never its value (it may be a
    password typed into the wrong place)."""
    known = KNOWN_KEYS[name]
    for key in section:
        if key in known or (name == "accounting" and key == "password"):
            continue  # accounting.password has its own message below
        raise ConfigError(tr("config.unknown_key", path=path, setting=f"{name}.{key}",
                             hint=_did_you_mean(str(key), known), name=name, known=", ".join(known)))


def _typed(section: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any,
           path: Path | None = None) -> Any:
    if key not in section:
        return default
    value = section[key]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    name = f"{path}: {where}.{key}" if path is not None else f"{where}.{key}"
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        # in words, not Python's type names ("must be a float")
        kinds = kind if isinstance(kind, tuple) else (kind,)
        want = " / ".join(str(tr(f"config.want.{k.__name__}")) for k in kinds)
        raise ConfigError(tr("config.wrong_type", where=name, want=want, value=repr(value)))
    bounds = RANGES.get(f"{where}.{key}")
    if bounds is not None and isinstance(value, (int, float)):
        low, high = bounds
        if not (math.isfinite(value) and low <= value <= high):
            # the bounds with a decimal comma in Russian, as the rest of the Russian numbers; the
            # value keeps its point: it quotes the file, and TOML writes numbers only with a point
            raise ConfigError(tr("config.range", where=name, low=number(low), high=number(high), value=repr(value)))
    return value


def _read(path: Path) -> dict[str, Any]:
    """The file's TOML as a dict; a missing file is empty. Every failure is a ConfigError."""
    try:
        text = path.read_text(encoding="utf-8-sig")  # a byte-order mark (Windows Notepad) is not TOML
    except FileNotFoundError:
        return {}
    except IsADirectoryError as exc:
        raise ConfigError(tr("config.folder", path=path)) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(tr("config.not_utf8", path=path, n=exc.start)) from exc
    except OSError as exc:
        raise ConfigError(tr("config.unreadable", path=path, error=exc.strerror or exc)) from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(tr("config.not_toml", path=path, error=exc)) from exc


def use_zone(settings: Settings) -> Settings:
    """Make `accounting.server_timezone` (else this machine's zone) the zone dates are read,
    written, shown and typed in for this process (tui_crm.domain.zone); returns `settings`."""
    from tui_crm.domain.zone import set_zone

    name = settings.accounting.server_timezone
    if not name:  # this machine's zone: zoneinfo (and the sysconfig it reads, ~2 ms) is not needed
        set_zone(None)
        return settings
    from zoneinfo import ZoneInfo

    set_zone(ZoneInfo(name))
    return settings


def load(path: Path | None = None) -> Settings:
    """Read settings; a missing file means defaults. Errors name the file and the key."""
    path = path or default_config_path()
    data = _read(path)
    acc_d = _section(data, "accounting", path)
    sync_d = _section(data, "sync", path)
    ui_d = _section(data, "ui", path)
    store_d = _section(data, "store", path)
    orders_d = _section(data, "orders", path)
    known = {"accounting", "sync", "ui", "store", "orders"}
    unknown = sorted(set(data) - known)
    if unknown:
        raise ConfigError(tr("config.unknown_section", path=path, name=unknown[0],
                             hint=_did_you_mean(unknown[0], sorted(known)), known=", ".join(sorted(known))))
    for name, section in (("accounting", acc_d), ("sync", sync_d), ("ui", ui_d), ("store", store_d),
                          ("orders", orders_d)):
        _check_known(section, name, path)

    defaults = AccountingSettings()
    acc = AccountingSettings(
        url=_typed(acc_d, "url", str, "accounting", defaults.url, path),
        username=_typed(acc_d, "username", str, "accounting", defaults.username, path),
        password_env=_typed(acc_d, "password_env", str, "accounting", defaults.password_env, path),
        password_file=_typed(acc_d, "password_file", str, "accounting", defaults.password_file, path),
        profile=_typed(acc_d, "profile", str, "accounting", defaults.profile, path),
        verify_tls=_typed(acc_d, "verify_tls", bool, "accounting", defaults.verify_tls, path),
        timeout=_typed(acc_d, "timeout", float, "accounting", defaults.timeout, path),
        page_size=_typed(acc_d, "page_size", int, "accounting", defaults.page_size, path),
        max_pages=_typed(acc_d, "max_pages", int, "accounting", defaults.max_pages, path),
        heavy_timeout=_typed(acc_d, "heavy_timeout", float, "accounting", defaults.heavy_timeout, path),
        max_page_mb=_typed(acc_d, "max_page_mb", float, "accounting", defaults.max_page_mb, path),
        server_timezone=_typed(acc_d, "server_timezone", str, "accounting", defaults.server_timezone, path),
    )
    if acc.server_timezone:
        check_timezone(acc.server_timezone, f"{path}: accounting.server_timezone")
    if "password" in acc_d:
        raise ConfigError(tr("config.password_in_file", path=path))
    if acc.url:
        acc = replace(acc, url=_check_url(acc.url, "accounting.url"))

    sdef = SyncSettings()
    sync = SyncSettings(
        pull_seconds=_typed(sync_d, "pull_seconds", float, "sync", sdef.pull_seconds, path),
        live_seconds=_typed(sync_d, "live_seconds", float, "sync", sdef.live_seconds, path),
        cycle_deadline=_typed(sync_d, "cycle_deadline", float, "sync", sdef.cycle_deadline, path),
        max_shrink_percent=_typed(sync_d, "max_shrink_percent", float, "sync", sdef.max_shrink_percent, path),
        push_concurrency=_typed(sync_d, "push_concurrency", int, "sync", sdef.push_concurrency, path),
    )

    udef = UiSettings()
    ui = UiSettings(
        language=_typed(ui_d, "language", str, "ui", udef.language, path),
        theme=_typed(ui_d, "theme", str, "ui", udef.theme, path),
    )
    if ui.language not in ("auto", "en", "ru"):
        raise ConfigError(tr("config.language", value=repr(ui.language)))

    orders = OrderSettings(reserve=_typed(orders_d, "reserve", str, "orders", OrderSettings().reserve, path))
    if orders.reserve not in RESERVE_POLICIES:
        shown = orders.reserve.encode("unicode_escape").decode("ascii")[:40]
        raise ConfigError(tr("config.reserve", path=path, value=repr(shown),
                             hint=_did_you_mean(orders.reserve, RESERVE_POLICIES)))

    store_path = _store_path(_typed(store_d, "path", str, "store", str(data_dir() / "crm.duckdb"), path),
                             f"{path}: store.path")
    settings = Settings(accounting=acc, sync=sync, ui=ui, orders=orders, store_path=store_path, source=path)

    # Environment overrides (one var each), below typed flags.
    if os.environ.get(URL_ENV):
        settings = replace(
            settings, accounting=replace(settings.accounting, url=_check_url(os.environ[URL_ENV], URL_ENV))
        )
    if os.environ.get(USER_ENV):
        settings = replace(settings, accounting=replace(settings.accounting, username=os.environ[USER_ENV]))
    if os.environ.get(STORE_ENV):
        settings = replace(settings, store_path=_store_path(os.environ[STORE_ENV], STORE_ENV))
    return settings


# -- what the operator chose in the app: theme and language ------------------------------------
# Kept in a small JSON file beside the store (the user's own data folder, or the demo's), not in
# config.toml: the app never rewrites a file the user edits by hand. A missing, unreadable or
# malformed file, or a bad value in it, means "nothing chosen" (the config file and the locale
# decide); the next choice rewrites the file whole. Writes are atomic (temp file + rename), so
# a crash mid-write leaves the previous file.
UI_STATE_FILE = "ui-state.json"
_MAX_THEME = 64


@dataclass(frozen=True)
class UiState:
    theme: str | None = None
    language: str | None = None  # "en" | "ru"


def ui_state_path(store_path: Path) -> Path:
    return store_path.expanduser().parent / UI_STATE_FILE


def _theme_name(value: object) -> str | None:
    if not isinstance(value, str) or not value or len(value) > _MAX_THEME:
        return None
    return value if all(c.isalnum() or c in "-_." for c in value) else None


def load_ui_state(path: Path) -> UiState:
    """The saved choices; never raises (an unusable file or value is ignored)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError):
        return UiState()
    if not isinstance(data, dict):
        return UiState()
    lang = data.get("language")
    return UiState(theme=_theme_name(data.get("theme")), language=lang if lang in ("en", "ru") else None)


def save_ui_state(path: Path, *, theme: str | None = None, language: str | None = None) -> str | None:
    """Remember a theme and/or a language (the other choice is kept). Returns None, or why the
    file could not be written (the caller tells the operator; the app goes on)."""
    current = load_ui_state(path)
    state = UiState(
        theme=_theme_name(theme) or current.theme,
        language=language if language in ("en", "ru") else current.language,
    )
    data = {k: v for k, v in (("theme", state.theme), ("language", state.language)) if v is not None}
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        return f"{path}: {exc.strerror or exc}"
    return None


def ui_choices(settings: Settings, theme_flag: str | None = None) -> tuple[str, str, Path]:
    """(language, theme, UI state file) for a run of the app. Language: TUI_CRM_LANG, else the
    one chosen in the app last time, else ui.language, else the locale. Theme: --theme, else
    the one chosen in the app last time, else ui.theme."""
    path = ui_state_path(settings.store_path)
    saved = load_ui_state(path)
    return settings.ui.resolved_language(saved.language), theme_flag or saved.theme or settings.ui.theme, path
