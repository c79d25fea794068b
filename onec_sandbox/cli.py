"""`tui-crm sandbox …`: run the bundled accounting endpoint, seed it, and act as its clerk.

The clerk commands (orders, post, unpost, pay, ship, post-shipment, reject-shipment, price,
receive) talk to a *running* sandbox only through OData over HTTP, the way a 1C user's actions
would reach the base — so the CRM sees their effects exactly as it would see a real accountant's work.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import sqlite3
import sys
from datetime import datetime
from pathlib import Path

DEFAULT_URL_ENV = "TUI_CRM_SANDBOX_URL"


def default_data_path() -> Path:
    """Per-user data file of the sandbox (separate from the CRM's own store)."""
    try:
        from platformdirs import user_data_path
        return user_data_path("tui-crm", appauthor=False) / "sandbox.sqlite"
    except ImportError:  # pragma: no cover - platformdirs is a dependency
        return Path.home() / ".local" / "share" / "tui-crm" / "sandbox.sqlite"


def date_argument(text: str) -> str:
    """`--date` as typed (2026-11-27 or 27.11.2026, a time optional) → 1C's ISO date-time."""
    for shape in ("%Y-%m-%d", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"):
        try:
            when = datetime.strptime(text.strip(), shape)
        except ValueError:
            continue
        if shape in ("%Y-%m-%d", "%d.%m.%Y"):
            when = when.replace(hour=12)
        return when.isoformat()
    raise argparse.ArgumentTypeError(f"not a date: {text!r} (write 2026-11-27 or 27.11.2026)")


def running_demo_url_file() -> Path:
    """Where `tui-crm demo` writes its sandbox's base URL while it runs (see cli.cmd_demo)."""
    return default_data_path().parent / "demo" / "sandbox-url"


def default_clerk_url() -> str:
    """$TUI_CRM_SANDBOX_URL, else the URL of a running `tui-crm demo`, else nothing."""
    env = os.environ.get(DEFAULT_URL_ENV, "")
    if env:
        return env
    try:
        return running_demo_url_file().read_text(encoding="utf-8").strip()
    except OSError:
        return ""


def _add_fault_flags(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("faults (off by default; also POST /<base>/__admin__/faults, "
                             "which needs the --user login when auth is on)")
    g.add_argument("--latency-ms", type=int, default=0, help="added delay per request")
    g.add_argument("--error-rate", type=float, default=0.0,
                   help="share of requests answered 500 with odata.error code -1")
    g.add_argument("--hang", type=float, default=0.0, metavar="SECONDS",
                   help="sleep this long before answering (see --hang-rate)")
    g.add_argument("--hang-rate", type=float, default=None,
                   help="share of requests that hang (default 1 when --hang is given)")
    g.add_argument("--drop-rate", type=float, default=0.0,
                   help="share of writes that are committed but whose response is cut off")
    g.add_argument("--html-rate", type=float, default=0.0,
                   help="share of requests answered with an HTML page and status 200")
    g.add_argument("--fault-seed", type=int, default=None, help="seed for reproducible faults")


def _add_hostile_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--hostile", action="store_true",
                   help="after the normal seed, put hostile text (markup, escape sequences, "
                        "control characters, bidi, emoji, 10k-character strings) into names, "
                        "full names, comments and ИНН of products, units, warehouses, a price "
                        "type, counterparties and a few orders; codes and keys stay valid "
                        "(a new data file only: add --reset to an existing one)")


def hostile_note(state, wanted: bool) -> str | None:
    """What to tell the user when --hostile cannot apply to an existing data file."""
    if wanted and not state.hostile:
        return ("note: the data file was seeded before without --hostile and is reused as is; "
                "add --reset (tui-crm demo: --fresh) to start over with the hostile seed")
    return None


def _add_config_flag(p: argparse.ArgumentParser, *, clerk: bool = False) -> None:
    from .configs import DEFAULT, NAMES
    if clerk:
        p.add_argument("--config", choices=NAMES, default=None,
                       help="the base's configuration (default: recognised from the server's "
                            "list of objects)")
    else:
        p.add_argument("--config", choices=NAMES, default=DEFAULT,
                       help=f"which 1C configuration the base speaks (default {DEFAULT}: "
                            "КА 1.1; ut11: УТ 11.5; bp3: БП 3.0); a data file keeps the one "
                            "it was seeded with")


VARIANT_HELP = ("accounting settings of a new base, per configuration (bp3: warehouses = 41.01 by "
                "Номенклатура, Склады, the default; batches = Номенклатура, Партии, Склады; "
                "no-warehouses = warehouse accounting off); a data file keeps the one it was "
                "seeded with")


def add_variant_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument("--variant", default="", metavar="NAME", help=VARIANT_HELP)


def _add_clerk_conn(p: argparse.ArgumentParser) -> None:
    p.add_argument("--url", default=default_clerk_url(),
                   help=f"sandbox base URL …/odata/standard.odata/ (default: ${DEFAULT_URL_ENV}, "
                        "else the sandbox of a running `tui-crm demo`)")
    p.add_argument("--user", default=None)
    p.add_argument("--password", default=None)
    _add_config_flag(p, clerk=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the `sandbox` sub-subcommands to `parser`."""
    sub = parser.add_subparsers(dest="sandbox_cmd", metavar="COMMAND")
    sub.required = False

    p = sub.add_parser("serve", help="serve the sandbox OData endpoint on loopback")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument("--base", default="demo", help="publication name in the URL (default demo)")
    p.add_argument("--data", type=Path, default=None, help="data file (default: user data dir)")
    p.add_argument("--memory", action="store_true", help="keep data in memory only")
    p.add_argument("--reset", action="store_true", help="start over from a fresh seed")
    _add_config_flag(p)
    add_variant_flag(p)
    p.add_argument("--products", type=int, default=200)
    p.add_argument("--warehouses", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    _add_hostile_flag(p)
    p.add_argument("--user", default=None,
                   help="turn on HTTP Basic auth with this login (every request, admin included)")
    p.add_argument("--password", default=None)
    p.add_argument("--ignore-unknown-properties", action="store_true",
                   help="ignore body properties the entity does not have, as real 1C does "
                        "(default: refuse them with 400, code 10)")
    p.add_argument("--ignore-if-match", action="store_true",
                   help="carry out PATCH/DELETE even when If-Match names an older DataVersion, as "
                        "live 1C bases were found to do (default: refuse with 412, as the vendor "
                        "documents)")
    p.add_argument("--unpublish", action="append", default=[], metavar="NAME[,NAME…]",
                   help="leave entity sets (Document_X) or fields (Catalog_Y.Field, "
                        "Document_X.Товары.Field) out of the publication: absent from $metadata "
                        "and answered as unknown, as 1C does for an object not in the OData "
                        "composition (repeatable)")
    p.add_argument("--deny-read", action="append", default=[], metavar="NAME[,NAME…]",
                   help="published entity sets the login may not read: answered 403, code 20, as "
                        "1C does for a user without the right (repeatable)")
    p.add_argument("--extra-attributes", type=Path, default=None, metavar="FILE",
                   help="a TOML file of company-specific attributes and catalogs to add to the "
                        "base (see examples/sandbox-extra-attributes.toml)")
    _add_fault_flags(p)

    p = sub.add_parser("seed", help="create (or recreate) a seeded data file")
    p.add_argument("--data", type=Path, default=None)
    _add_config_flag(p)
    add_variant_flag(p)
    p.add_argument("--products", type=int, default=200)
    p.add_argument("--warehouses", type=int, default=3)
    p.add_argument("--seed", type=int, default=1)
    _add_hostile_flag(p)

    p = sub.add_parser("orders", help="list customer orders with paid/shipped status")
    _add_clerk_conn(p)
    p.add_argument("--limit", type=int, default=50)

    for name, helptext in (("post", "post an order (writes reserves)"),
                           ("unpost", "cancel posting of an order")):
        p = sub.add_parser(name, help=helptext)
        _add_clerk_conn(p)
        p.add_argument("order", help="order number (e.g. ТД000000001; ТД00-000001 in ut11/bp3), its digits, or Ref_Key")

    p = sub.add_parser("pay", help="enter and post a payment against an order")
    _add_clerk_conn(p)
    p.add_argument("order")
    p.add_argument("--amount", required=True, help="amount, e.g. 1234.50")
    p.add_argument("--cash", action="store_true",
                   help="cash receipt (ПриходныйКассовыйОрдер) instead of bank payment")
    p.add_argument("--date", type=date_argument, default=None,
                   help="the payment's date, 2026-11-27 or 27.11.2026 (default: now)")

    p = sub.add_parser("ship", help="enter and post a shipment (РеализацияТоваровУслуг)")
    _add_clerk_conn(p)
    p.add_argument("order")
    p.add_argument("--line", type=int, action="append", default=[],
                   help="order line number to ship (repeatable; default: all lines)")
    p.add_argument("--qty", action="append", default=[],
                   help="quantity for the matching --line (default: the rest of the line)")
    p.add_argument("--warehouse", default=None, help="warehouse name (default: the order's)")
    p.add_argument("--date", type=date_argument, default=None,
                   help="the shipment's date, 2026-11-27 or 27.11.2026 (default: now)")

    for name, helptext in (("post-shipment", "post the CRM's shipment request of an order "
                                              "(РасходныйОрдерНаТовары): the goods are shipped"),
                           ("reject-shipment", "reject the CRM's shipment request of an order "
                                                "(marks it for deletion)")):
        p = sub.add_parser(name, help=helptext)
        _add_clerk_conn(p)
        p.add_argument("order", help="order number (e.g. ТД000000001; ТД00-000001 in ut11/bp3), its digits, or Ref_Key")
        p.add_argument("--doc", default=None,
                       help="the request's document number (default: every waiting request)")

    p = sub.add_parser("price", help="set a product price (posts УстановкаЦенНоменклатуры)")
    _add_clerk_conn(p)
    p.add_argument("code", help="product code or Артикул")
    p.add_argument("--type", default="Оптовая", help="price type name")
    p.add_argument("--price", required=True)

    p = sub.add_parser("receive", help="receive goods to a warehouse (posts ОприходованиеТоваров)")
    _add_clerk_conn(p)
    p.add_argument("code", help="product code or Артикул")
    p.add_argument("--warehouse", required=True, help="warehouse name")
    p.add_argument("--qty", required=True)


def _faults_from_args(args: argparse.Namespace):
    from .faults import Faults
    hang_rate = args.hang_rate if args.hang_rate is not None else (1.0 if args.hang else 0.0)
    return Faults(latency_ms=args.latency_ms, error_rate=args.error_rate, hang_rate=hang_rate,
                  hang_s=args.hang, drop_rate=args.drop_rate, html_rate=args.html_rate,
                  seed=args.fault_seed)


def _data_file_problem(path: Path | None, exc: BaseException) -> str:
    """One sentence for a --data file that cannot be opened or made (a folder that is missing or
    not writable, a file that is no sandbox database)."""
    if isinstance(exc, sqlite3.DatabaseError):
        return f"the data file {path} is not a sandbox data file ({exc}); choose another --data"
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    return f"the data file {path} cannot be opened or created: {why}; choose another --data"


def run(args: argparse.Namespace) -> int:
    """Execute the parsed `sandbox` command; returns the process exit code."""
    cmd = getattr(args, "sandbox_cmd", None)
    if cmd is None:
        print("usage: tui-crm sandbox {serve,seed,orders,post,unpost,pay,ship,post-shipment,"
              "reject-shipment,price,receive} ...", file=sys.stderr)
        return 2
    if cmd == "serve":
        from .configs import UnknownConfiguration
        from .server import serve
        from .state import ConfigurationMismatch, NotASandboxFile, SandboxState
        path = None if args.memory else (args.data or default_data_path())
        if (args.user is None) != (args.password is None):
            print("tui-crm sandbox serve: --user and --password go together", file=sys.stderr)
            return 2
        if not 0 <= args.port <= 65535:
            print(f"tui-crm sandbox serve: --port {args.port} is not a port number (1-65535; 0: a free one)",
                  file=sys.stderr)
            return 2
        from .configs import configuration
        try:
            schema = configuration(args.config or "ka1").schema
        except UnknownConfiguration as e:
            print(f"tui-crm sandbox serve: {e}", file=sys.stderr)
            return 2
        extra = None
        if args.extra_attributes is not None:
            from .extra import ExtraError, add_items, install, load
            try:
                extra = load(args.extra_attributes, schema)
            except ExtraError as exc:
                print(f"tui-crm sandbox serve: {exc}", file=sys.stderr)
                return 2
            install(extra, schema)
        from .publication import Publication, PublicationError
        try:
            publication = Publication.parse(args.unpublish, schema.entities, args.deny_read)
        except PublicationError as exc:
            print(f"tui-crm sandbox serve: {exc}", file=sys.stderr)
            return 2
        try:
            state = SandboxState.seeded(products=args.products, warehouses=args.warehouses,
                                        seed=args.seed, path=path, reset=args.reset,
                                        hostile=args.hostile, config=args.config,
                                        variant=args.variant)
        except (ConfigurationMismatch, UnknownConfiguration, NotASandboxFile) as e:
            print(f"tui-crm sandbox serve: {e}", file=sys.stderr)
            return 2
        except (OSError, sqlite3.DatabaseError) as e:
            print(f"tui-crm sandbox serve: {_data_file_problem(path, e)}", file=sys.stderr)
            return 2
        if extra is not None:
            add_items(state, extra)
        auth = (args.user, args.password) if args.user is not None else None
        if path is not None:
            print(f"data: {path}", file=sys.stderr, flush=True)
        note = hostile_note(state, args.hostile)
        if note:
            print(note, file=sys.stderr, flush=True)
        try:
            with contextlib.suppress(KeyboardInterrupt):
                serve(state, host=args.host, port=args.port, base=args.base,
                      faults=_faults_from_args(args), auth=auth,
                      strict_properties=not args.ignore_unknown_properties,
                      ignore_if_match=args.ignore_if_match, publication=publication)
        except OSError as e:  # the port is taken, or the host is not this machine's
            busy = e.errno == errno.EADDRINUSE
            print(f"tui-crm sandbox serve: cannot listen on {args.host} port {args.port}: "
                  + ("it is already in use; choose another --port (0: a free one)" if busy
                     else (e.strerror or str(e))), file=sys.stderr)
            return 2
        return 0
    if cmd == "seed":
        import time

        from .configs import UnknownConfiguration
        from .state import NotASandboxFile, SandboxState
        path = args.data or default_data_path()
        t = time.perf_counter()
        try:
            st = SandboxState.seeded(products=args.products, warehouses=args.warehouses,
                                     seed=args.seed, path=path, reset=True, hostile=args.hostile,
                                     config=args.config, variant=args.variant)
        except (UnknownConfiguration, NotASandboxFile) as e:
            print(f"tui-crm sandbox seed: {e}", file=sys.stderr)
            return 2
        except (OSError, sqlite3.DatabaseError) as e:
            print(f"tui-crm sandbox seed: {_data_file_problem(path, e)}", file=sys.stderr)
            return 2
        st.close()
        kind = " (hostile texts)" if args.hostile else ""
        kind += f" ({args.variant})" if args.variant else ""
        print(f"seeded a {args.config} base: {args.products} products × {args.warehouses} "
              f"warehouses{kind} into {path} "
              f"in {time.perf_counter() - t:.1f} s")
        return 0
    from . import clerk
    return clerk.run(args)


def build_parser(prog: str = "onec-sandbox") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog, description="The bundled 1C-like accounting endpoint and the clerk's actions.")
    add_arguments(parser)
    return parser


INSTALL_HINT = "pip install 'tui-crm[sandbox]'  (or `make demo` from a checkout)"


def missing_web_stack() -> str | None:
    """The first of starlette / uvicorn (the `sandbox` extra) that cannot be imported, or None."""
    import importlib

    for name in ("starlette", "uvicorn"):
        try:
            importlib.import_module(name)
        except ImportError:
            return name
    return None


def main(argv: list[str] | None = None, prog: str = "onec-sandbox") -> int:
    """`onec-sandbox …` (and `tui-crm sandbox …`, which hands its arguments here)."""
    parser = build_parser(prog)
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    missing = missing_web_stack()
    if missing:
        print(f"{prog}: the sandbox needs {missing}, which is not installed; get it with: "
              f"{INSTALL_HINT}", file=sys.stderr)
        return 2
    try:
        return run(args)
    except KeyboardInterrupt:
        return 130
