"""`tui-crm sandbox serve|seed` with a --data or --port that cannot be used: one line, exit 2,
and a file that is not a sandbox base is never deleted. Each of these ended in a traceback
(OSError, OverflowError, sqlite3.DatabaseError), and `seed --data` replaced any file it was given
with a seeded base (run as root, a mistyped --data once turned /etc/passwd into one)."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from onec_sandbox import cli as sandbox_cli

SMALL = ["--products", "3", "--warehouses", "1"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = sandbox_cli.main(list(argv), prog="tui-crm sandbox")
    return code, capsys.readouterr().err


def test_seed_and_reset_never_replace_a_file_that_is_not_a_sandbox_base(tmp_path: Path, capsys) -> None:
    precious = tmp_path / "notes.txt"
    precious.write_text("не база песочницы\n", encoding="utf-8")
    code, err = run(capsys, "seed", "--data", str(precious), *SMALL)
    assert code == 2 and "is not a sandbox data file; it is left as it is" in err, err
    code, err = run(capsys, "serve", "--reset", "--data", str(precious), "--port", "1", *SMALL)
    assert code == 2 and "is not a sandbox data file" in err, err
    assert precious.read_text(encoding="utf-8") == "не база песочницы\n"
    code, err = run(capsys, "seed", "--data", str(tmp_path), *SMALL)
    assert code == 2 and "is a folder" in err, err
    base = tmp_path / "base.sqlite"
    assert run(capsys, "seed", "--data", str(base), *SMALL)[0] == 0
    assert run(capsys, "seed", "--data", str(base), *SMALL)[0] == 0  # its own base: re-seeded


def test_data_file_that_cannot_be_opened_or_made(tmp_path: Path, capsys) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x", encoding="utf-8")
    code, err = run(capsys, "seed", "--data", str(blocker / "sub" / "base.sqlite"), *SMALL)
    assert code == 2 and "cannot be opened or created" in err and "Traceback" not in err, err
    garbage = tmp_path / "garbage.sqlite"
    garbage.write_bytes(b"\x00not sqlite" * 100)
    code, err = run(capsys, "serve", "--data", str(garbage), "--port", "1", *SMALL)
    assert code == 2 and "is not a sandbox data file" in err, err


def test_serve_port_in_use_or_out_of_range(capsys) -> None:
    code, err = run(capsys, "serve", "--memory", "--port", "99999", *SMALL)
    assert code == 2 and "--port 99999 is not a port number" in err, err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, err = run(capsys, "serve", "--memory", "--port", str(port), *SMALL)
    assert code == 2 and f"cannot listen on 127.0.0.1 port {port}: it is already in use" in err, err
