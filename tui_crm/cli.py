"""`tui-crm`: the terminal CRM, its demo, headless sync, and the bundled accounting sandbox."""

from __future__ import annotations

# Ctrl+C pressed while the command is still starting (these imports take most of a second) ends
# it as main() does, exit 130, instead of a traceback out of the console script's import.
try:
    import argparse
    import asyncio
    import contextlib
    import errno
    import logging
    import os
    import sys
    from collections.abc import Callable, Iterator
    from pathlib import Path
    from typing import TYPE_CHECKING, NamedTuple

    from tui_crm import (
        __version__,
        cli_text,  # noqa: F401 - registers the shell commands' strings
    )
    from tui_crm.config import (
        ConfigError,
        Settings,
        UiSettings,
        config_dir,
        data_dir,
        default_config_path,
        load,
        log_dir,
        ui_choices,
        use_zone,
    )
    from tui_crm.i18n import set_language, tr
    from tui_crm.sync.profile import BUNDLED
except KeyboardInterrupt:
    raise SystemExit(130) from None


if TYPE_CHECKING:
    from tui_crm import running_demo
    from tui_crm.sync.service import SyncService


def _setup_logging(name: str) -> Path:
    """The TUI owns the terminal: logs (ours, httpx's, apscheduler's) go to a file."""
    folder = log_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.log"
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    return path


def _settings(args: argparse.Namespace) -> Settings:
    settings = use_zone(load(Path(args.config).expanduser() if getattr(args, "config", None) else None))
    return settings.with_overrides(
        url=getattr(args, "url", None), store=getattr(args, "store", None), username=getattr(args, "user", None)
    )


def _say(text: str) -> int:
    print(text, file=sys.stderr)
    return 2


def _run_tui(settings: Settings, *, theme: str | None = None, demo_url: str | None = None,
             fail: Callable[[str], int] = _say) -> int:
    """Open the store and accounting settings and run the app; `fail(text)` says why it cannot
    (stderr in a terminal, the page itself under `tui-crm serve`) and gives the exit code."""
    from tui_crm.runtime import (
        freeze_startup_objects,
        pause_gc_for_startup,
        resume_gc,
        tune_for_terminal,
    )

    pause_gc_for_startup()  # resumed once the first list is painted (CrmApp(started=...))

    def failed(text: str) -> int:
        resume_gc()
        return fail(text)

    lang, theme, ui_state = ui_choices(settings, theme)  # as chosen in the app last time, unless told
    set_language(lang)  # before the screens are imported: bindings read it
    tune_for_terminal()  # before Textual is imported
    from tui_crm.store import Store, StoreError

    try:
        # Opened before Textual and the screens are imported: the file's block check runs on its
        # own thread meanwhile, and is waited for before the screen is taken (bench/start.py).
        store = Store.open(settings.store_path, check_later=True)
    except StoreError as exc:
        return failed(f"tui-crm: {exc}")
    from tui_crm.app import CrmApp
    from tui_crm.sync.profile import ProfileError, load_profile

    try:
        store.wait_checked()
    except StoreError as exc:
        store.close()
        return failed(f"tui-crm: {exc}")
    engine = None
    custom_fields = None
    acc = settings.accounting
    if acc.url:
        # What could stop the engine is checked now, in words, before the screen is taken; the
        # engine itself (httpx, APScheduler, the jobs) is created once the first list is painted.
        base_dir = settings.source.parent if settings.source else None
        try:
            profile = load_profile(acc.profile, base_dir=base_dir)
            if acc.username:
                acc.password()  # a password file that cannot be read is said here
        except (ProfileError, ConfigError) as exc:
            store.close()
            from tui_crm.sync.reach import error_words

            return failed(f"tui-crm: {error_words(exc) or exc}")
        custom_fields = profile.field_set()

        def engine() -> SyncService:
            from tui_crm.sync.service import SyncService

            return SyncService.from_settings(store, acc, base_dir=base_dir, sync=settings.sync, profile=profile)
    else:
        print(tr("cli.no_url_local", path=default_config_path()), file=sys.stderr)
    app = CrmApp(store, None, engine=engine, custom_fields=custom_fields, pull_seconds=settings.sync.pull_seconds,
                 live_seconds=settings.sync.live_seconds, theme=theme, ui_state=ui_state, demo_url=demo_url,
                 reserve_policy=settings.orders.reserve, started=resume_gc)
    freeze_startup_objects()
    try:
        app.run()
    finally:
        resume_gc()  # should the app have ended before its first list
        store.close()
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    _setup_logging("tui")
    if not args.in_browser:
        return _run_tui(_settings(args), theme=args.theme)
    # a browser tab of `tui-crm serve` (tui_crm/serve.py): what stops the CRM is said on the page
    from dataclasses import replace

    from tui_crm.serve import explain_in_browser

    try:
        settings = _settings(args)
    except ConfigError as exc:
        return explain_in_browser(f"tui-crm: {exc}")
    set_language(ui_choices(settings)[0])  # for the page's words, should the CRM not start
    if args.pull_seconds is not None:
        settings = replace(settings, sync=replace(settings.sync, pull_seconds=args.pull_seconds))
    if args.demo_profile:
        settings = replace(settings, accounting=replace(settings.accounting, profile=args.demo_profile))
    return _run_tui(settings, theme=args.theme, demo_url=args.demo_url, fail=explain_in_browser)


def cmd_serve(args: argparse.Namespace) -> int:
    """The CRM in a web browser: textual-serve starts `tui-crm run` for each tab (tui_crm/serve.py)."""
    from tui_crm import serve
    try:
        serve.check_can_listen(args.host, args.port)
    except serve.ServeError as exc:
        return _say(str(exc))
    passed = [*(["--config", args.config] if args.config else []), *(["--theme", args.theme] if args.theme else [])]
    if args.demo:
        wrong = _pull_seconds_problem("tui-crm serve", args.pull_seconds)
        if wrong:
            return _say(wrong)
        typed = [flag for flag, value in (("--store", args.store), ("--url", args.url), ("--user", args.user))
                 if value is not None]
        if typed:
            return _say(tr("cli.serve_demo_drop", flags=" ".join(typed)))
        missing = sandbox_missing()
        if missing:
            return _say(missing)
        with demo_sandbox(args, log_name="serve-demo") as demo:
            set_language(ui_choices(_settings(args).with_overrides(store=demo.store_file))[0])
            tab = ["--store", str(demo.store_file), "--url", demo.url, "--user", "", "--demo-url", demo.url,
                   "--demo-profile", demo.configuration, "--pull-seconds", str(args.pull_seconds), *passed]
            return serve.serve(serve.child_command(tab), host=args.host, port=args.port)
    from tui_crm.store import Store, StoreError

    settings = _settings(args)
    try:  # a file in use or damaged is said now, not on the first tab
        Store.open(settings.store_path).close()
    except StoreError as exc:
        return _say(f"tui-crm serve: {exc}")
    set_language(ui_choices(settings)[0])
    passed += [flag_value for flag, value in (("--store", args.store), ("--url", args.url), ("--user", args.user))
               if value is not None for flag_value in (flag, value)]
    return serve.serve(serve.child_command(passed), host=args.host, port=args.port)


def _pull_seconds_problem(prog: str, value: float) -> str | None:
    """Why a typed --pull-seconds cannot be used (the range of the setting sync.pull_seconds), or
    None. `nan` ended `tui-crm demo` in a traceback inside the app; 0 or less pulled without pause."""
    from tui_crm.config import RANGES

    # {value} keeps its decimal point in Russian too: it quotes the flag as typed, and the flag
    # takes only a point (argparse refuses "0,5"); the bounds are whole seconds
    if not value > 0:
        return tr("cli.pull_seconds_low", prog=prog, value=f"{value:g}")
    low, high = RANGES["sync.pull_seconds"]
    if not low <= value <= high:  # inf too
        return tr("cli.pull_seconds_range", prog=prog, value=f"{value:g}", low=f"{low:g}", high=f"{high:g}")
    return None


def sandbox_missing() -> str | None:
    """None when the bundled sandbox (onec_sandbox, starlette, uvicorn) imports; else what to print.

    The sandbox is a package of its own, installed by the `sandbox` extra; a plain
    `pip install tui-crm` does not bring it (nor its web stack).
    """
    import importlib

    for name in ("onec_sandbox", "starlette", "uvicorn"):
        try:
            importlib.import_module(name)
        except ImportError:
            return tr("cli.no_sandbox", name=name)
    return None


def cmd_sandbox(argv: list[str]) -> int:
    """`tui-crm sandbox …`: hand the arguments to the sandbox's own CLI (onec_sandbox.cli)."""
    missing = sandbox_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    from onec_sandbox.cli import main as sandbox_main

    return sandbox_main(argv, prog="tui-crm sandbox")


def demo_folder(args: argparse.Namespace) -> Path:
    """Where the demo keeps its sandbox and CRM files (`--dir`, else the user data folder)."""
    return Path(args.dir).expanduser() if args.dir else data_dir() / "demo"


class DemoSandbox(NamedTuple):
    """A running demo sandbox: its base URL, the demo's CRM data file, and the configuration it
    speaks (which is also the CRM profile to use with it)."""

    url: str
    store_file: Path
    configuration: str


@contextlib.contextmanager
def demo_sandbox(args: argparse.Namespace, *, configuration: str | None = None, variant: str = "", port: int = 0,
                 log_name: str = "demo") -> Iterator[DemoSandbox]:
    """The demo's accounting sandbox, started on loopback for the duration of the block.

    `configuration` None keeps the one an existing demo base holds (КА 1.1 for a new one); a
    named one must match an existing base. While it runs, the clerk's commands and the shell
    commands (`status`, `client add`, …) find it (running_demo). `args` carries the demo options:
    dir, fresh, products, warehouses, hostile. Shared by `tui-crm demo` and `serve --demo`.
    """
    from onec_sandbox.cli import hostile_note, running_demo_url_file
    from onec_sandbox.configs import UnknownConfiguration
    from onec_sandbox.server import start_in_thread
    from onec_sandbox.state import ConfigurationMismatch, SandboxState, held_configuration
    from tui_crm import running_demo  # only the shell commands and the demo need it, not `run`

    log_path = _setup_logging(log_name)
    folder = demo_folder(args)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:  # --dir names a file, or a folder that cannot be made
        why = tr("cli.demo_folder_file") if folder.exists() else (exc.strerror or str(exc))
        print(tr("cli.demo_folder_bad", folder=folder, why=why), file=sys.stderr)
        raise SystemExit(2) from None
    sandbox_file = folder / "sandbox.sqlite"
    store_file = folder / "crm.duckdb"
    if args.fresh:
        for path in (sandbox_file, store_file, folder / "crm.duckdb.wal"):
            path.unlink(missing_ok=True)
    if configuration is None:
        configuration = held_configuration(sandbox_file) or "ka1"
    print(tr("cli.starting_sandbox"), flush=True)
    try:
        if sandbox_file.exists():
            state = SandboxState.open(sandbox_file, config=configuration)
        else:
            state = SandboxState.seeded(products=args.products, warehouses=args.warehouses, seed=1,
                                        path=sandbox_file, hostile=args.hostile, config=configuration,
                                        variant=variant)
    except (ConfigurationMismatch, UnknownConfiguration) as e:
        print(tr("cli.demo_mismatch", error=e), file=sys.stderr)
        raise SystemExit(2) from None
    note = hostile_note(state, args.hostile)
    if note:
        print(note, flush=True)
    try:
        sandbox = start_in_thread(state, port=port, base="demo")
    except OSError as exc:  # --port in use, or not allowed
        state.close()
        busy = exc.errno == errno.EADDRINUSE
        print(tr("cli.demo_port", port=port, why=tr("cli.port_busy") if busy else (exc.strerror or str(exc))),
              file=sys.stderr)
        raise SystemExit(2) from None
    url_file = running_demo_url_file() if not args.dir else None
    if url_file is not None:  # lets the clerk's commands in another shell find this sandbox
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(sandbox.base_url + "\n", encoding="utf-8")
    # lets `tui-crm status` / `client add` / `invoice add` / `config` find this demo's store and URL
    running_demo.write(folder, sandbox.base_url, store_file)
    print(tr("cli.demo_started", url=sandbox.base_url, store=store_file, log=log_path), flush=True)
    try:
        yield DemoSandbox(sandbox.base_url, store_file, configuration)
    finally:
        sandbox.stop()
        running_demo.clear(folder)
        if url_file is not None:
            url_file.unlink(missing_ok=True)


def cmd_demo(args: argparse.Namespace) -> int:
    """Start the sandbox on a free loopback port and the TUI against it, with a demo store."""
    from dataclasses import replace

    missing = sandbox_missing()
    if missing:
        print(missing, file=sys.stderr)
        return 2
    if not 0 <= args.port <= 65535:
        return _say(tr("cli.demo_bad_port", port=args.port))
    wrong = _pull_seconds_problem("tui-crm demo", args.pull_seconds)
    if wrong:
        return _say(wrong)
    new_base = args.fresh or not (demo_folder(args) / "sandbox.sqlite").exists()
    with demo_sandbox(args, configuration=args.config, variant=args.variant, port=args.port) as demo:
        url, store_file = demo.url, demo.store_file
        settings = use_zone(load(Path(args.settings).expanduser() if args.settings else None))
        # the profile that speaks the sandbox's configuration (they share their names)
        settings = replace(settings, sync=replace(settings.sync, pull_seconds=args.pull_seconds),
                           accounting=replace(settings.accounting, profile=demo.configuration))
        settings = settings.with_overrides(url=url, store=store_file, username="")
        if new_base and not args.no_history and not args.hostile:
            from onec_sandbox.cli import main as sandbox_main

            _demo_history(url, settings, lambda argv: sandbox_main(argv, prog="tui-crm sandbox"))
        return _run_tui(settings, theme=args.theme, demo_url=url)


def _demo_history(url: str, settings: Settings, clerk: Callable[[list[str]], int]) -> None:
    """A few weeks of deals in a new demo base (tui_crm.demo_history); a failure is one line and
    the demo starts without them."""
    from tui_crm.demo_history import write_history
    from tui_crm.store import Store

    print(tr("cli.demo_history"), flush=True)
    try:
        store = Store.open(settings.store_path)
    except Exception as exc:  # noqa: BLE001 - the demo starts anyway; _run_tui reports the store
        print(tr("cli.skipped", error=exc), flush=True)
        return
    try:
        write_history(url, store, settings.accounting, settings.sync, clerk)
    except Exception as exc:  # a demo without history is still a demo
        logging.getLogger(__name__).exception("demo history")
        print(tr("cli.skipped", error=exc), flush=True)
    finally:
        store.close()


def _known(key: str, fallback: str) -> str:
    """The text of `key` in the current language, or `fallback` when no such string exists."""
    text = tr(key)
    return fallback if text == key else str(text)


def _progress_printer(stream=sys.stderr) -> Callable[[str, int, int | None], None]:
    """Plain-text progress for the first full pull of a big base (one line per stage when not a tty)."""
    shown: str | None = None  # the stage of the last line written
    last = 0.0  # when it was written (time.monotonic)
    tty = stream.isatty()

    def show(label: str, done: int, total: int | None) -> None:
        import time

        nonlocal shown, last
        now = time.monotonic()
        if label == shown and now - last < 0.5 and not (total and done >= total):
            return
        last = now
        pct = f" {done * 100 // total:3d}%" if total else ""
        bar = ""
        if total:
            filled = min(30, done * 30 // max(total, 1))
            bar = " [" + "#" * filled + "." * (30 - filled) + "]"
        text = tr("cli.progress", label=f"{_known(f'cli.stage.{label}', label):<15}", bar=bar, pct=pct, done=done) + (
            tr("cli.progress_of", total=total) if total else "")
        if tty:
            stream.write("\r" + text.ljust(78))
        elif label != shown:
            stream.write(text + "\n")
        shown = label
        stream.flush()

    return show


def cmd_sync(args: argparse.Namespace) -> int:
    """Headless sync: the TUI's jobs (pull cycle, push, live) once, or until Ctrl+C."""
    from tui_crm.i18n import number, set_language
    from tui_crm.store import Store, StoreError
    from tui_crm.sync.profile import ProfileError
    from tui_crm.sync.reach import error_words
    from tui_crm.sync.service import SyncService

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
    set_language(ui_choices(settings)[0])   # the language saved for this store, as the TUI's (and doctor's)
    if not settings.accounting.url:
        print(tr("cli.sync_no_url"), file=sys.stderr)
        return 2
    try:
        store = Store.open(settings.store_path)
    except StoreError as exc:
        print(tr("cli.sync_not_started", error=exc), file=sys.stderr)
        return 2
    try:
        service = SyncService.from_settings(
            store, settings.accounting, base_dir=settings.source.parent if settings.source else None,
            sync=settings.sync)
    except (ProfileError, ConfigError) as exc:
        store.close()
        print(tr("cli.sync_not_started", error=error_words(exc) or exc), file=sys.stderr)
        return 2
    progress = None if args.quiet else _progress_printer()

    async def once() -> int:
        result = await service.pull_now(full=args.full, progress=progress, accept_shrink=args.accept_shrink)
        if progress is not None and sys.stderr.isatty():
            sys.stderr.write("\n")
        if result is None:
            print(tr("cli.pull_failed", error=service.last_error), file=sys.stderr, flush=True)
        else:
            print(tr("cli.pulled", rows=result.rows, seconds=number(result.seconds, ".1f"),
                     requests=result.requests), flush=True)
        failed = result is None
        if not args.no_push:
            while True:
                pushed = await service.push_now()
                if pushed is None or not pushed.attempted:
                    break
                print(tr("cli.pushed", pushed=len(pushed.pushed), failed=len(pushed.failed), waiting=pushed.deferred)
                      + (tr("cli.push_offline", error=pushed.offline) if pushed.offline else ""), flush=True)
                for kind, oid, msg in pushed.failed:
                    print(f"  {_known(f'cli.kind.{kind}', kind)} {oid}: {msg}", file=sys.stderr, flush=True)
                # an item 1C refused is a failed push (exit 1, as --once promises): a script or a
                # cron job must not read "pushed 0, failed 1" as success
                failed = failed or bool(pushed.failed)
                if pushed.offline or not pushed.pushed:
                    failed = failed or bool(pushed.offline)
                    break
        return 1 if failed else 0

    async def forever() -> int:
        from tui_crm.sync.scheduler import create_scheduler

        code = await once()
        scheduler = create_scheduler(service, pull_seconds=settings.sync.pull_seconds,
                                     live_seconds=settings.sync.live_seconds,
                                     first_run_in=settings.sync.pull_seconds)
        scheduler.start()
        try:
            await asyncio.Event().wait()  # until Ctrl+C cancels the run
        finally:
            scheduler.shutdown(wait=False)
        return code  # not reached: the wait above only ends by cancellation

    async def main() -> int:
        try:
            return await (once() if args.once else forever())
        finally:
            await service.aclose()

    try:
        return asyncio.run(main())
    except KeyboardInterrupt:
        return 130
    finally:
        store.close()


def _shell_settings(args: argparse.Namespace) -> tuple[Settings, running_demo.RunningDemo | None]:
    """The TUI's settings for a shell command, and the running demo they point at, if any.

    With no store named (no --store, TUI_CRM_STORE or store.path) and a `tui-crm demo` running,
    the command works on the demo's store and knows its sandbox URL (unless --url is given). A
    store that is a running demo's gets the demo's URL when no URL is configured.
    """
    from tui_crm import running_demo

    settings = _settings(args)
    if settings.store_path == data_dir() / "crm.duckdb":
        demo = running_demo.find()
        if demo is not None:   # (command_language follows the same rule: _DEMO_STORE_COMMANDS)
            url = getattr(args, "url", None) or demo.url
            user = getattr(args, "user", None)
            return settings.with_overrides(store=demo.store, url=url, username="" if user is None else user), demo
        return settings, None
    demo = running_demo.for_store(settings.store_path)
    if demo is not None and not settings.accounting.url:
        return settings.with_overrides(url=demo.url, username=""), demo
    return settings, demo


def _demo_note(demo: running_demo.RunningDemo | None, settings: Settings) -> None:
    if demo is not None and settings.store_path == demo.store:
        print(tr("cli.demo_note", store=demo.store, url=settings.accounting.url), file=sys.stderr)


def cmd_status(args: argparse.Namespace) -> int:
    """Quick lookup of invoices and clients (from accounting directly while a TUI holds the store)."""
    from tui_crm.status_cmd import run

    settings, demo = _shell_settings(args)
    if not args.json:
        _demo_note(demo, settings)
    return run(settings, " ".join(args.query), as_json=args.json)


def cmd_doctor(args: argparse.Namespace) -> int:
    """Check that the configured publication has what the profile needs (see doctor_cmd)."""
    from tui_crm import doctor_cmd
    settings = _settings(args)
    return doctor_cmd.run(settings, profile_spec=args.profile, as_json=args.json)


def _quick(args: argparse.Namespace, kind: str) -> int:
    """`client add` / `invoice add`: open the store the TUI uses, write through `tui_crm.quick`."""
    import json

    settings, demo = _shell_settings(args)
    args.json = args.json_in is not None
    from tui_crm import quick
    from tui_crm.store import Store, StoreError, StoreLocked

    prog = f"tui-crm {kind} add"
    try:
        data = quick.read_json(args.json_in) if args.json_in else {}
        source = "stdin" if args.json_in == "-" else (args.json_in or "--json")
        if kind == "client":
            options = {"kind": args.kind, "name": args.name, "full_name": args.full_name, "inn": args.inn,
                       "kpp": args.kpp, "phones": args.phone, "email": args.email, "address": args.address,
                       "comment": args.comment}
            fields = quick.merge(data, options, quick.CLIENT_FIELDS, source)
        else:
            options = {"client": args.client, "warehouse": args.warehouse, "price_type": args.price_type,
                       "lines": args.line, "discount": args.discount, "comment": args.comment, "date": args.date}
            fields = quick.merge(data, options, quick.INVOICE_FIELDS, source)
    except quick.Usage as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    path = settings.store_path
    if not path.exists():  # a mistyped --store must not leave a new empty database behind
        print(tr("cli.store_missing", prog=prog, path=path), file=sys.stderr)
        return 2
    try:
        store = Store.open(path)
    except StoreLocked:
        print(tr("cli.store_in_use_add", prog=prog, path=path), file=sys.stderr)
        return 2
    except StoreError as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    if not args.json:
        _demo_note(demo, settings)
    try:
        if kind == "client":
            answer, warnings = quick.add_client(store, fields, unique=args.unique, source=source)
        else:
            answer, warnings = quick.add_invoice(store, fields, source=source), []
    except quick.Refused as exc:
        for line in exc.problems:
            print(f"{prog}: {line}", file=sys.stderr)
        return 1
    except quick.Usage as exc:
        print(f"{prog}: {exc}", file=sys.stderr)
        return 2
    finally:
        store.close()
    for line in warnings:
        print(tr("cli.warning", prog=prog, text=line), file=sys.stderr)
    print(json.dumps(answer, ensure_ascii=False, indent=2) if args.json else quick.saved_text(kind, answer))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """Print where the files are and the effective settings (never the password)."""
    from tui_crm import running_demo
    from tui_crm.i18n import number

    settings = _settings(args)
    acc = settings.accounting
    exists = settings.source is not None and settings.source.exists()
    print(tr("cli.cfg.file", path=settings.source or default_config_path(),
             note="" if exists else tr("cli.cfg.not_created")))
    print(tr("cli.cfg.dir", path=config_dir()))
    print(tr("cli.cfg.store", path=settings.store_path))
    print(tr("cli.cfg.logs", path=log_dir()))
    demo = running_demo.find()
    state = tr("cli.cfg.demo_running", url=demo.url, store=demo.store) if demo else tr("cli.cfg.demo_stopped")
    print(tr("cli.cfg.demo", path=running_demo.demo_folder(), state=state))
    password = tr("cli.cfg.file_word", path=acc.password_file) if acc.password_file else "$" + acc.password_env
    print(tr("cli.cfg.accounting", url=acc.url or tr("cli.cfg.not_set"), user=acc.username or tr("cli.cfg.no_login"),
             profile=acc.profile, password=password))
    sync = settings.sync

    print(tr("cli.cfg.sync", pull=number(sync.pull_seconds), live=number(sync.live_seconds),
             deadline=number(sync.cycle_deadline), shrink=number(sync.max_shrink_percent),
             push=sync.push_concurrency))
    print(tr("cli.cfg.requests", timeout=number(acc.timeout), page=acc.page_size, pages=acc.max_pages,
             tls=tr("cli.cfg.verified") if acc.verify_tls else tr("cli.cfg.not_verified")))
    print(tr("cli.cfg.interface", lang=ui_choices(settings)[0], theme=settings.ui.theme))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The command line, worded in the current language (i18n.set_language before this; main()
    also has argparse's own words translated while it builds and parses: see `_argparse_words`)."""
    parser = argparse.ArgumentParser(prog="tui-crm", description=tr("cli.description"))
    parser.add_argument("--version", action="version", version=f"tui-crm {__version__}", help=tr("cli.h.version"))
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser, *, url: bool = True) -> None:
        p.add_argument("--config", help=tr("cli.h.config"))
        p.add_argument("--store", help=tr("cli.h.store"))
        if url:
            p.add_argument("--url", help=tr("cli.h.url"))
            p.add_argument("--user", help=tr("cli.h.user"))

    p = sub.add_parser("run", help=tr("cli.h.run"))
    common(p)
    p.add_argument("--theme", help=tr("cli.h.theme"))
    # set by `tui-crm serve` for each browser tab it starts (tui_crm/serve.py), not for people
    p.add_argument("--in-browser", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--demo-url", help=argparse.SUPPRESS)
    p.add_argument("--demo-profile", choices=BUNDLED, help=argparse.SUPPRESS)  # the demo sandbox's configuration
    p.add_argument("--pull-seconds", type=float, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help=tr("cli.h.demo"))
    p.add_argument("--config", choices=BUNDLED, default=None, help=tr("cli.h.demo.config"))
    p.add_argument("--variant", default="", metavar="NAME", help=tr("cli.h.demo.variant"))
    p.add_argument("--settings", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help=tr("cli.h.demo.port"))
    p.add_argument("--products", type=int, default=200, help=tr("cli.h.products"))
    p.add_argument("--warehouses", type=int, default=3, help=tr("cli.h.warehouses"))
    p.add_argument("--pull-seconds", type=float, default=10.0, help=tr("cli.h.pull_seconds"))
    p.add_argument("--dir", help=tr("cli.h.dir"))
    p.add_argument("--fresh", action="store_true", help=tr("cli.h.fresh"))
    p.add_argument("--no-history", action="store_true", help=tr("cli.h.no_history"))
    p.add_argument("--hostile", action="store_true", help=tr("cli.h.hostile"))
    p.add_argument("--theme", help=tr("cli.h.theme"))
    p.set_defaults(func=cmd_demo)

    def with_demo(key: str) -> str:
        return tr("cli.h.with_demo", help=tr(key))

    p = sub.add_parser("serve", help=tr("cli.h.serve"), description=tr("cli.d.serve"))
    common(p)
    p.add_argument("--host", default="127.0.0.1", help=tr("cli.h.serve.host"))
    p.add_argument("--port", type=int, default=8000, help=tr("cli.h.serve.port"))
    p.add_argument("--theme", help=tr("cli.h.theme"))
    p.add_argument("--demo", action="store_true", help=tr("cli.h.serve.demo"))
    p.add_argument("--dir", help=with_demo("cli.h.dir"))
    p.add_argument("--fresh", action="store_true", help=with_demo("cli.h.fresh"))
    p.add_argument("--products", type=int, default=200, help=with_demo("cli.h.products"))
    p.add_argument("--warehouses", type=int, default=3, help=with_demo("cli.h.warehouses"))
    p.add_argument("--pull-seconds", type=float, default=10.0, help=with_demo("cli.h.pull_seconds"))
    p.set_defaults(func=cmd_serve, hostile=False)

    p = sub.add_parser("sync", help=tr("cli.h.sync"))
    common(p)
    p.add_argument("--once", action="store_true", help=tr("cli.h.sync.once"))
    p.add_argument("--full", action="store_true", help=tr("cli.h.sync.full"))
    p.add_argument("--accept-shrink", action="store_true", help=tr("cli.h.sync.accept_shrink"))
    p.add_argument("--no-push", action="store_true", help=tr("cli.h.sync.no_push"))
    p.add_argument("--quiet", action="store_true", help=tr("cli.h.sync.quiet"))
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("status", help=tr("cli.h.status"))
    common(p)
    p.add_argument("query", nargs="+", help=tr("cli.h.status.query"))
    p.add_argument("--json", action="store_true", help=tr("cli.h.json"))
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("client", help=tr("cli.h.client"))
    client_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = client_sub.add_parser("add", help=tr("cli.h.client.add"), description=tr("cli.d.client.add"))
    common(p, url=False)
    p.add_argument("--name", help=tr("cli.h.client.name"))
    p.add_argument("--full-name", help=tr("cli.h.client.full_name"))
    p.add_argument("--kind", help=tr("cli.h.client.kind"))
    p.add_argument("--inn", help=tr("cli.h.client.inn"))
    p.add_argument("--kpp", help=tr("cli.h.client.kpp"))
    p.add_argument("--phone", action="append", default=[], help=tr("cli.h.client.phone"))
    p.add_argument("--email", help=tr("cli.h.client.email"))
    p.add_argument("--address", help=tr("cli.h.client.address"))
    p.add_argument("--comment", help=tr("cli.h.comment"))
    p.add_argument("--unique", action="store_true", help=tr("cli.h.client.unique"))
    p.add_argument("--json", dest="json_in", metavar="FILE", nargs="?", const="", help=tr("cli.h.client.json"))
    p.set_defaults(func=lambda a: _quick(a, "client"))

    p = sub.add_parser("invoice", help=tr("cli.h.invoice"))
    invoice_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = invoice_sub.add_parser("add", help=tr("cli.h.invoice.add"), description=tr("cli.d.invoice.add"))
    common(p, url=False)
    p.add_argument("--client", help=tr("cli.h.invoice.client"))
    p.add_argument("--warehouse", help=tr("cli.h.invoice.warehouse"))
    p.add_argument("--price-type", help=tr("cli.h.invoice.price_type"))
    p.add_argument("--line", action="append", default=[], metavar="CODE:QTY[:DISCOUNT]",
                   help=tr("cli.h.invoice.line"))
    p.add_argument("--discount", help=tr("cli.h.invoice.discount"))
    p.add_argument("--comment", help=tr("cli.h.comment"))
    p.add_argument("--date", help=tr("cli.h.invoice.date"))
    p.add_argument("--json", dest="json_in", metavar="FILE", nargs="?", const="", help=tr("cli.h.invoice.json"))
    p.set_defaults(func=lambda a: _quick(a, "invoice"))

    p = sub.add_parser("doctor", help=tr("cli.h.doctor"), description=tr("cli.d.doctor"))
    common(p)
    p.add_argument("--profile", help=tr("cli.h.doctor.profile"))
    p.add_argument("--json", action="store_true", help=tr("cli.h.json"))
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("config", help=tr("cli.h.config_cmd"))
    common(p)
    p.set_defaults(func=cmd_config)

    # Listed here for --help only: main() hands `sandbox …` to onec_sandbox's own parser, so the
    # CRM never imports the sandbox (an optional extra) unless that command is run.
    p = sub.add_parser("sandbox", add_help=False, help=tr("cli.h.sandbox"))
    p.add_argument("sandbox_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=lambda a: cmd_sandbox(a.sandbox_args))
    return parser


@contextlib.contextmanager
def _argparse_words() -> Iterator[None]:
    """argparse's own words ("usage:", "options", "error:", "the following arguments are
    required", …) in the current language while the parser is built and parses. argparse looks
    each up through its module-level `_` (gettext, which has no Russian catalogue for it); for
    the block it looks them up in the strings registered above as "argparse.<its English text>"
    (an unknown one stays English)."""
    english = argparse._  # type: ignore[attr-defined]

    def words(text: str) -> str:
        key = f"argparse.{text}"
        found = tr(key)
        return text if found == key else str(found)

    argparse._ = words  # type: ignore[attr-defined]
    try:
        yield
    finally:
        argparse._ = english  # type: ignore[attr-defined]


# The commands that, with no store named and a `tui-crm demo` running, work on the demo's store.
_DEMO_STORE_COMMANDS = ("status", "client", "invoice")


def command_language(argv: list[str]) -> str:
    """The language of a shell command: the TUI's rule (config.ui_choices: TUI_CRM_LANG, else the
    language last chosen in the app for this data file, else ui.language, else the locale), read
    from the settings the command would use. Settings that cannot be read (their error is said
    later, in this language) leave TUI_CRM_LANG and the locale to decide."""
    early = argparse.ArgumentParser(add_help=False)
    demo = bool(argv) and argv[0] == "demo"
    # `demo --config` names a 1C configuration; its settings file is --settings
    early.add_argument("--settings" if demo else "--config", dest="config")
    early.add_argument("--store")
    early.add_argument("--dir")
    try:
        known, _rest = early.parse_known_args(argv[1:])
        settings = load(Path(known.config).expanduser() if known.config else None)
        if demo:
            store: str | Path | None = demo_folder(known) / "crm.duckdb"
        else:
            store = known.store
        settings = settings.with_overrides(store=store)
        if argv[0] in _DEMO_STORE_COMMANDS and settings.store_path == data_dir() / "crm.duckdb":
            from tui_crm import running_demo

            running = running_demo.find()   # the store the command will work on (_shell_settings)
            if running is not None:
                settings = settings.with_overrides(store=running.store)
        return ui_choices(settings)[0]
    except Exception:  # noqa: BLE001 - choosing the language never stops a command; the error is said later
        return UiSettings().resolved_language()


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["run", *argv]  # `tui-crm` alone (or with run's flags) opens the CRM
    if argv[0] == "sandbox":
        return cmd_sandbox(argv[1:])
    set_language(command_language(argv))
    with _argparse_words():
        args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"tui-crm: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `tui-crm status … | head`: the reader left; nothing to say
        with contextlib.suppress(OSError, ValueError):  # keep the interpreter's final flush quiet
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:
        from tui_crm.store import StoreError

        if isinstance(exc, StoreError):
            print(f"tui-crm: {exc}", file=sys.stderr)
            return 2
        if os.environ.get("TUI_CRM_DEBUG"):
            raise
        # No traceback for the operator: one line, and how to get the details.
        text = " ".join(str(exc).split())[:300]
        print(tr("cli.unexpected", error=f"{type(exc).__name__}: {text}"), file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    sys.exit(main())
