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

    from tui_crm import __version__
    from tui_crm.config import (
        ConfigError,
        Settings,
        config_dir,
        data_dir,
        default_config_path,
        load,
        log_dir,
        use_zone,
    )
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

    from tui_crm.config import ui_choices
    from tui_crm.i18n import set_language

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
            return failed(f"tui-crm: {exc}")
        custom_fields = profile.field_set()

        def engine() -> SyncService:
            from tui_crm.sync.service import SyncService

            return SyncService.from_settings(store, acc, base_dir=base_dir, sync=settings.sync, profile=profile)
    else:
        print("tui-crm: no accounting URL configured; working on the local mirror only "
              f"(set accounting.url in {default_config_path()} or TUI_CRM_URL).", file=sys.stderr)
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

    from tui_crm.config import ui_choices
    from tui_crm.i18n import set_language
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
    from tui_crm.config import ui_choices
    from tui_crm.i18n import set_language

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
            return _say(f"tui-crm serve: --demo brings its own sandbox and data; drop {' '.join(typed)} "
                        "(or drop --demo to serve your own)")
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

    if not value > 0:
        return f"{prog}: --pull-seconds {value:g} must be above 0"
    low, high = RANGES["sync.pull_seconds"]
    if not low <= value <= high:  # inf too
        return f"{prog}: --pull-seconds {value:g} must be a number from {low:g} to {high:g}"
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
            return (f"tui-crm: the accounting sandbox is not installed (no module {name}); "
                    "get it with: pip install 'tui-crm[sandbox]'  (or `make demo` from a checkout)")
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
        why = "it is a file, not a folder" if folder.exists() else (exc.strerror or str(exc))
        print(f"tui-crm demo: the demo's folder {folder} cannot be used: {why}", file=sys.stderr)
        raise SystemExit(2) from None
    sandbox_file = folder / "sandbox.sqlite"
    store_file = folder / "crm.duckdb"
    if args.fresh:
        for path in (sandbox_file, store_file, folder / "crm.duckdb.wal"):
            path.unlink(missing_ok=True)
    if configuration is None:
        configuration = held_configuration(sandbox_file) or "ka1"
    print("Starting the accounting sandbox…", flush=True)
    try:
        if sandbox_file.exists():
            state = SandboxState.open(sandbox_file, config=configuration)
        else:
            state = SandboxState.seeded(products=args.products, warehouses=args.warehouses, seed=1,
                                        path=sandbox_file, hostile=args.hostile, config=configuration,
                                        variant=variant)
    except (ConfigurationMismatch, UnknownConfiguration) as e:
        print(f"tui-crm demo: {e} (tui-crm demo --fresh starts over)", file=sys.stderr)
        raise SystemExit(2) from None
    note = hostile_note(state, args.hostile)
    if note:
        print(note, flush=True)
    try:
        sandbox = start_in_thread(state, port=port, base="demo")
    except OSError as exc:  # --port in use, or not allowed
        state.close()
        busy = exc.errno == errno.EADDRINUSE
        print(f"tui-crm demo: the sandbox cannot listen on 127.0.0.1 port {port}: "
              + ("it is already in use" if busy else (exc.strerror or str(exc)))
              + "; choose another with --port, or leave --port out for a free one", file=sys.stderr)
        raise SystemExit(2) from None
    url_file = running_demo_url_file() if not args.dir else None
    if url_file is not None:  # lets the clerk's commands in another shell find this sandbox
        url_file.parent.mkdir(parents=True, exist_ok=True)
        url_file.write_text(sandbox.base_url + "\n", encoding="utf-8")
    # lets `tui-crm status` / `client add` / `invoice add` / `config` find this demo's store and URL
    running_demo.write(folder, sandbox.base_url, store_file)
    print(f"Sandbox: {sandbox.base_url}\nCRM data: {store_file}\nLog: {log_path}\n"
          "Accounting clerk, in another shell: tui-crm sandbox orders | post N | pay N --amount X | ship N",
          flush=True)
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
        return _say(f"tui-crm demo: --port {args.port} is not a port number (1-65535; 0 or none: a free one)")
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

    print("Writing a few weeks of invoices, payments and shipments into the demo's accounting…", flush=True)
    try:
        store = Store.open(settings.store_path)
    except Exception as exc:  # noqa: BLE001 - the demo starts anyway; _run_tui reports the store
        print(f"  skipped: {exc}", flush=True)
        return
    try:
        write_history(url, store, settings.accounting, settings.sync, clerk)
    except Exception as exc:  # a demo without history is still a demo
        logging.getLogger(__name__).exception("demo history")
        print(f"  skipped: {exc}", flush=True)
    finally:
        store.close()


def _progress_printer(stream=sys.stderr):
    """Plain-text progress for the first full pull of a big base (one line per stage when not a tty)."""
    state = {"label": None, "last": 0.0}
    tty = stream.isatty()

    def show(label: str, done: int, total: int | None) -> None:
        import time

        now = time.monotonic()
        if label == state["label"] and now - state["last"] < 0.5 and not (total and done >= total):
            return
        state["last"] = now
        pct = f" {done * 100 // total:3d}%" if total else ""
        bar = ""
        if total:
            filled = min(30, done * 30 // max(total, 1))
            bar = " [" + "#" * filled + "." * (30 - filled) + "]"
        text = f"sync: {label:<15}{bar}{pct} {done} rows" + (f" of {total}" if total else "")
        if tty:
            stream.write("\r" + text.ljust(78))
        elif label != state["label"]:
            stream.write(text + "\n")
        state["label"] = label
        stream.flush()

    return show


def cmd_sync(args: argparse.Namespace) -> int:
    """Headless sync: the TUI's jobs (pull cycle, push, live) once, or until Ctrl+C."""
    from tui_crm.i18n import set_language
    from tui_crm.store import Store, StoreError
    from tui_crm.sync.profile import ProfileError
    from tui_crm.sync.service import SyncService

    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    settings = _settings(args)
    set_language(settings.ui.resolved_language())   # the sync's error words, as doctor's
    if not settings.accounting.url:
        print("tui-crm sync: no accounting URL; pass --url or set accounting.url", file=sys.stderr)
        return 2
    try:
        store = Store.open(settings.store_path)
    except StoreError as exc:
        print(f"tui-crm sync: {exc}", file=sys.stderr)
        return 2
    try:
        service = SyncService.from_settings(
            store, settings.accounting, base_dir=settings.source.parent if settings.source else None,
            sync=settings.sync)
    except (ProfileError, ConfigError) as exc:
        store.close()
        print(f"tui-crm sync: {exc}", file=sys.stderr)
        return 2
    progress = None if args.quiet else _progress_printer()

    async def once() -> int:
        result = await service.pull_now(full=args.full, progress=progress, accept_shrink=args.accept_shrink)
        if progress is not None and sys.stderr.isatty():
            sys.stderr.write("\n")
        if result is None:
            print(f"pull failed: {service.last_error}", file=sys.stderr, flush=True)
        else:
            print(f"pulled {result.rows} rows in {result.seconds:.1f} s ({result.requests} requests)", flush=True)
        failed = result is None
        if not args.no_push:
            while True:
                pushed = await service.push_now()
                if pushed is None or not pushed.attempted:
                    break
                print(f"pushed {len(pushed.pushed)}, failed {len(pushed.failed)}, waiting {pushed.deferred}"
                      + (f"; accounting unreachable: {pushed.offline}" if pushed.offline else ""), flush=True)
                for kind, oid, msg in pushed.failed:
                    print(f"  {kind} {oid}: {msg}", file=sys.stderr, flush=True)
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
        if demo is not None:
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
        print(f"(the running demo's data: {demo.store}; accounting {settings.accounting.url})", file=sys.stderr)


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
    from tui_crm.i18n import set_language

    settings = _settings(args)
    set_language(settings.ui.resolved_language())
    return doctor_cmd.run(settings, profile_spec=args.profile, as_json=args.json)


def _quick(args: argparse.Namespace, kind: str) -> int:
    """`client add` / `invoice add`: open the store the TUI uses, write through `tui_crm.quick`."""
    import json

    from tui_crm.i18n import set_language

    settings, demo = _shell_settings(args)
    args.json = args.json_in is not None
    set_language(settings.ui.resolved_language())
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
        print(f"{prog}: the CRM data file {path} does not exist; check --store / TUI_CRM_STORE / store.path "
              "(tui-crm or tui-crm sync creates it on first use).", file=sys.stderr)
        return 2
    try:
        store = Store.open(path)
    except StoreLocked:
        print(f"{prog}: the CRM data file {path} is in use by a running tui-crm; add it there, or quit it and "
              "run this again (its push sends what this command queues).", file=sys.stderr)
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
        print(f"{prog}: warning: {line}", file=sys.stderr)
    print(json.dumps(answer, ensure_ascii=False, indent=2) if args.json else quick.saved_text(kind, answer))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    """Print where the files are and the effective settings (never the password)."""
    from tui_crm import running_demo

    settings = _settings(args)
    acc = settings.accounting
    print(f"config file : {settings.source or default_config_path()}"
          f"{'' if (settings.source and settings.source.exists()) else ' (not created; defaults in use)'}")
    print(f"config dir  : {config_dir()}")
    print(f"store       : {settings.store_path}")
    print(f"logs        : {log_dir()}")
    demo = running_demo.find()
    print(f"demo folder : {running_demo.demo_folder()} (`tui-crm demo`: its sandbox and CRM data; "
          + (f"running now: accounting {demo.url}, store {demo.store})" if demo else "not running now)"))
    print(f"accounting  : {acc.url or '(not set)'} as {acc.username or '(no login)'}; profile {acc.profile}; "
          f"password from {'file ' + acc.password_file if acc.password_file else '$' + acc.password_env}")
    sync = settings.sync
    print(f"sync        : pull every {sync.pull_seconds:g} s; live rows every {sync.live_seconds:g} s; "
          f"a pull cycle stopped after {sync.cycle_deadline:g} s; a catalogue may shrink by "
          f"{sync.max_shrink_percent:g} % per pull; at most {sync.push_concurrency} push requests in flight")
    print(f"requests    : timeout {acc.timeout:g} s; pages of {acc.page_size} rows, at most "
          f"{acc.max_pages} per collection; TLS certificates {'verified' if acc.verify_tls else 'NOT verified'}")
    print(f"interface   : language {settings.ui.resolved_language()}, theme {settings.ui.theme}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tui-crm",
        description="Keyboard-driven terminal CRM over 1C:Enterprise accounting.",
    )
    parser.add_argument("--version", action="version", version=f"tui-crm {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def common(p: argparse.ArgumentParser, *, url: bool = True) -> None:
        p.add_argument("--config", help="settings file (default: $TUI_CRM_CONFIG or the user config folder)")
        p.add_argument("--store", help="CRM data file (default: per-user data folder)")
        if url:
            p.add_argument("--url", help="accounting OData base, e.g. https://srv/base/odata/standard.odata/")
            p.add_argument("--user", help="accounting login (password from $TUI_CRM_PASSWORD)")

    p = sub.add_parser("run", help="open the CRM (the default command)")
    common(p)
    p.add_argument("--theme", help="Textual theme name")
    # set by `tui-crm serve` for each browser tab it starts (tui_crm/serve.py), not for people
    p.add_argument("--in-browser", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--demo-url", help=argparse.SUPPRESS)
    p.add_argument("--demo-profile", choices=BUNDLED, help=argparse.SUPPRESS)  # the demo sandbox's configuration
    p.add_argument("--pull-seconds", type=float, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("demo", help="start the bundled accounting sandbox and the CRM against it")
    p.add_argument("--config", choices=BUNDLED, default=None,
                   help="the 1C configuration the sandbox speaks, and the CRM profile with it: "
                        "ka1 (КА 1.1, default), ut11 (УТ 11.5), bp3 (БП 3.0); without it an "
                        "existing demo keeps its own (add --fresh to change)")
    p.add_argument("--variant", default="", metavar="NAME",
                   help="accounting settings of a new sandbox (bp3: warehouses, the default; "
                        "batches; no-warehouses = warehouse accounting off)")
    p.add_argument("--settings", help=argparse.SUPPRESS)
    p.add_argument("--port", type=int, default=0, help="sandbox port (default: a free one)")
    p.add_argument("--products", type=int, default=200, help="products in a new sandbox (default 200)")
    p.add_argument("--warehouses", type=int, default=3, help="warehouses in a new sandbox (default 3)")
    p.add_argument("--pull-seconds", type=float, default=10.0, help="pull interval (default 10)")
    p.add_argument("--dir", help="folder for the demo's files (default: user data folder/demo)")
    p.add_argument("--fresh", action="store_true", help="start the demo over with new data")
    p.add_argument("--no-history", action="store_true",
                   help="a new demo base without its few weeks of invoices, payments and shipments")
    p.add_argument("--hostile", action="store_true",
                   help="a new sandbox gets hostile texts (markup, escapes, control characters, "
                        "10k strings) in names and comments; with --fresh for an existing demo")
    p.add_argument("--theme", help="Textual theme name")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser(
        "serve", help="the CRM in a web browser, for operators without a terminal",
        description="Serve the CRM to a web browser (textual-serve): each tab runs the same app as "
                    "`tui-crm`, with the same settings and data file, one tab at a time. There is no "
                    "login: the default --host 127.0.0.1 lets only this machine in; any other address "
                    "exposes the CRM without a password unless a proxy in front of it asks for one. "
                    "Exit codes: 0 stopped by Ctrl+C, 2 cannot start (port in use, bad host, data file).")
    common(p)
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--theme", help="Textual theme name")
    p.add_argument("--demo", action="store_true",
                   help="serve the demo: the bundled accounting sandbox and the demo's data, as `tui-crm demo`")
    p.add_argument("--dir", help="with --demo: folder for the demo's files (default: user data folder/demo)")
    p.add_argument("--fresh", action="store_true", help="with --demo: start the demo over with new data")
    p.add_argument("--products", type=int, default=200, help="with --demo: products in a new sandbox (default 200)")
    p.add_argument("--warehouses", type=int, default=3, help="with --demo: warehouses in a new sandbox (default 3)")
    p.add_argument("--pull-seconds", type=float, default=10.0, help="with --demo: pull interval (default 10)")
    p.set_defaults(func=cmd_serve, hostile=False)

    p = sub.add_parser("sync", help="sync with accounting without the TUI (once or until stopped)")
    common(p)
    p.add_argument("--once", action="store_true", help="one pull and push, then exit (non-zero if it failed)")
    p.add_argument("--full", action="store_true", help="re-read the whole mirror, not only what changed")
    p.add_argument("--accept-shrink", action="store_true",
                   help="apply a full pull even if a catalogue (products, warehouses, price types, "
                        "counterparties) shrank by more than sync.max_shrink_percent or to empty")
    p.add_argument("--no-push", action="store_true", help="do not send the outbox")
    p.add_argument("--quiet", action="store_true", help="no progress on stderr")
    p.set_defaults(func=cmd_sync)

    p = sub.add_parser("status", help="look up invoices and clients by number, name, phone or ИНН")
    common(p)
    p.add_argument("query", nargs="+", help="invoice number, client name, phone or ИНН")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("client", help="add a client from a shell (same checks and outbox as the card)")
    client_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = client_sub.add_parser(
        "add", help="add a client and queue it for accounting",
        description="Add a client, checked as the card checks it, and queue it for accounting "
                    "(sent by `tui-crm sync --once` or a running TUI). Exit codes: 0 saved, 1 refused "
                    "(a field breaks a rule; --unique and a duplicate), 2 usage or store error.")
    common(p, url=False)
    p.add_argument("--name", help="name as the list shows it (required)")
    p.add_argument("--full-name", help="full legal name (default: the name)")
    p.add_argument("--kind", help="company (default), sole-proprietor or individual")
    p.add_argument("--inn", help="ИНН: 10 digits for a company, 12 for a person")
    p.add_argument("--kpp", help="КПП (companies)")
    p.add_argument("--phone", action="append", default=[], help="a phone; repeat for more")
    p.add_argument("--email", help="e-mail")
    p.add_argument("--address", help="address")
    p.add_argument("--comment", help="comment")
    p.add_argument("--unique", action="store_true",
                   help="refuse when a client with the same ИНН or phone exists (default: warn)")
    p.add_argument("--json", dest="json_in", metavar="FILE", nargs="?", const="",
                   help="answer in JSON (the saved client); with FILE ('-': stdin) also read the fields "
                        "from the JSON object in it (options win over it)")
    p.set_defaults(func=lambda a: _quick(a, "client"))

    p = sub.add_parser("invoice", help="write an invoice from a shell (same checks and outbox as the editor)")
    invoice_sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    p = invoice_sub.add_parser(
        "add", help="write an invoice and queue it for accounting",
        description="Write an invoice, checked as the editor checks it, and queue it for accounting "
                    "(sent by `tui-crm sync --once` or a running TUI). Exit codes: 0 saved, 1 refused "
                    "(unknown client, warehouse or product, no price, a bad quantity or discount), "
                    "2 usage or store error.")
    common(p, url=False)
    p.add_argument("--client", help="client name, ИНН, accounting code or id (required)")
    p.add_argument("--warehouse", help="warehouse name (or a part only it has) or id (required)")
    p.add_argument("--price-type", help="price type name or id (default: the first, as the editor)")
    p.add_argument("--line", action="append", default=[], metavar="CODE:QTY[:DISCOUNT]",
                   help="a product by code or article, its quantity and discount %%; repeat for more")
    p.add_argument("--discount", help="whole-invoice discount %%")
    p.add_argument("--comment", help="comment")
    p.add_argument("--date", help="document date, 30.11.2026 or 2026-11-30 (default: today)")
    p.add_argument("--json", dest="json_in", metavar="FILE", nargs="?", const="",
                   help="answer in JSON (the saved invoice); with FILE ('-': stdin) also read the fields "
                        "from the JSON object in it (options win over it)")
    p.set_defaults(func=lambda a: _quick(a, "invoice"))

    p = sub.add_parser(
        "doctor", help="check that the accounting publication has everything the profile needs",
        description="Connect with the configured URL and login, check the URL's shape, the login and "
                    "the rights (allowedOnly), read $metadata, and list every entity set, table part "
                    "and field the profile needs that this publication lacks; recognise the "
                    "configuration and suggest a profile. Exit codes: 0 ready, 1 something must be "
                    "published (or the profile does not match the base), 2 cannot connect or log in.")
    common(p)
    p.add_argument("--profile", help="profile to check against (default: accounting.profile)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("config", help="show where settings, data and logs live, and the effective settings")
    common(p)
    p.set_defaults(func=cmd_config)

    # Listed here for --help only: main() hands `sandbox …` to onec_sandbox's own parser, so the
    # CRM never imports the sandbox (an optional extra) unless that command is run.
    p = sub.add_parser("sandbox", add_help=False,
                       help="the bundled 1C-like accounting endpoint and the clerk's actions "
                            "(`tui-crm sandbox --help`)")
    p.add_argument("sandbox_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    p.set_defaults(func=lambda a: cmd_sandbox(a.sandbox_args))
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help", "--version")):
        argv = ["run", *argv]  # `tui-crm` alone (or with run's flags) opens the CRM
    if argv[0] == "sandbox":
        return cmd_sandbox(argv[1:])
    args = parser.parse_args(argv)
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
        print(f"tui-crm: unexpected error ({type(exc).__name__}: {text}); "
              "run again with TUI_CRM_DEBUG=1 for the details", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    os.environ.setdefault("PYTHONIOENCODING", "utf-8")
    sys.exit(main())
