"""A throwaway PostgreSQL server for tests: ``temporary_postgres()`` yields a SQLAlchemy URL.

The server is a fresh cluster in a temporary folder (data, socket and log), listening on
127.0.0.1 only, on a free port, with ``trust`` authentication for local connections only.
It uses the binaries of Debian's ``postgresql`` package (``/usr/lib/postgresql/<version>/bin``,
installed by ``make system-deps``). PostgreSQL refuses to run as root, so as root the server
runs as the ``postgres`` system user, which the Debian package creates.

The tests use it through the fixture ``postgres_url`` of ``grader/tests/conftest.py``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

BIN_GLOB = "/usr/lib/postgresql/*/bin"
DATABASE = "gradebook"
SUPERUSER = "postgres"       # the database's superuser (initdb -U)
SYSTEM_USER = "postgres"     # the system user that runs the server when we are root
COMMAND_TIMEOUT = 60         # seconds for initdb, pg_ctl start/stop, createdb
PORT_ATTEMPTS = 3            # another process may take the free port before the server does
SETTINGS = """
listen_addresses = '127.0.0.1'
port = {port}
unix_socket_directories = '{socket_dir}'
max_connections = 50
# A throwaway server: durability is not needed, speed is.
fsync = off
synchronous_commit = off
full_page_writes = off
"""
HBA = """\
local all all                trust
host  all all 127.0.0.1/32   trust
"""


class PostgresMissing(RuntimeError):
    """PostgreSQL's server programs are not installed (or we cannot run them)."""


def find_postgres() -> Path:
    """The ``bin`` folder of the newest PostgreSQL under ``/usr/lib/postgresql``.

    Raises ``PostgresMissing`` when there is none, or when we are root and there is no
    ``postgres`` user to run the server as.
    """
    folders = [Path(p) for p in glob.glob(BIN_GLOB)
               if (Path(p) / "initdb").is_file() and (Path(p) / "pg_ctl").is_file()]
    if not folders:
        raise PostgresMissing(
            f"PostgreSQL's initdb and pg_ctl were not found in {BIN_GLOB}: install the Debian "
            "package postgresql with `make system-deps` (scripts/system-deps.sh).")
    _server_user()
    return max(folders, key=lambda p: _version_key(p.parent.name))


def _version_key(version: str) -> tuple[int, ...]:
    """``"15"`` -> ``(15,)``, ``"9.6"`` -> ``(9, 6)``; a non-numeric name sorts first."""
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return (-1,)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_user() -> dict:
    """``subprocess.run`` arguments that drop root to the ``postgres`` user; none otherwise."""
    if os.geteuid() != 0:
        return {}
    try:
        user = pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        raise PostgresMissing(
            f"running as root, and there is no system user {SYSTEM_USER!r} to run PostgreSQL "
            "as (PostgreSQL refuses to run as root); the Debian package postgresql creates it: "
            "`make system-deps`.") from None
    return {"user": user.pw_uid, "group": user.pw_gid, "extra_groups": [],
            "env": {**os.environ, "HOME": user.pw_dir, "USER": user.pw_name,
                    "LOGNAME": user.pw_name}}


def _run(command: list, cwd: Path, as_user: dict, log: Path | None = None) -> None:
    """Run a PostgreSQL program; fail with its output (and the server log, if any)."""
    result = subprocess.run([str(c) for c in command], cwd=cwd, capture_output=True, text=True,
                            timeout=COMMAND_TIMEOUT, **as_user)
    if result.returncode != 0:
        server_log = log.read_text(errors="replace")[-4000:] if log and log.is_file() else ""
        raise RuntimeError(f"{' '.join(map(str, command))} failed ({result.returncode}):\n"
                           f"{result.stdout}\n{result.stderr}\n{server_log}")


def _start(bin_dir: Path, data: Path, log: Path, cwd: Path, as_user: dict) -> None:
    _run([bin_dir / "pg_ctl", "start", "--wait", f"--timeout={COMMAND_TIMEOUT}",
          "-D", data, "-l", log], cwd, as_user, log)


@contextlib.contextmanager
def temporary_postgres(bin_dir: Path | None = None, database: str = DATABASE) -> Iterator[str]:
    """Start a throwaway PostgreSQL server; yield the URL of its database ``database``.

    The URL is ``postgresql+psycopg://postgres@127.0.0.1:<port>/<database>`` (SQLAlchemy with
    psycopg 3). On exit, also after an error, the server is stopped (``pg_ctl stop -m
    immediate``) and its folder deleted.
    """
    bin_dir = bin_dir or find_postgres()
    as_user = _server_user()
    base = Path(tempfile.mkdtemp(prefix="backproplab-pg-"))
    data, socket_dir, log = base / "data", base / "socket", base / "server.log"
    try:
        socket_dir.mkdir()
        if as_user:
            for path in (base, socket_dir):
                os.chown(path, as_user["user"], as_user["group"])
        _run([bin_dir / "initdb", "-D", data, "-U", SUPERUSER, "--auth=trust", "--no-sync",
              "--no-locale", "--encoding=UTF8"], base, as_user)
        (data / "pg_hba.conf").write_text(HBA)
        for attempt in range(PORT_ATTEMPTS):
            port = _free_port()
            with open(data / "postgresql.conf", "a") as conf:  # the last setting counts
                conf.write(SETTINGS.format(port=port, socket_dir=socket_dir))
            try:
                _start(bin_dir, data, log, base, as_user)
            except RuntimeError:
                if attempt == PORT_ATTEMPTS - 1:
                    raise
            else:
                break
        _run([bin_dir / "createdb", "-h", "127.0.0.1", "-p", port, "-U", SUPERUSER, database],
             base, as_user, log)
        yield f"postgresql+psycopg://{SUPERUSER}@127.0.0.1:{port}/{database}"
    finally:
        if (data / "postmaster.pid").exists():
            subprocess.run([str(bin_dir / "pg_ctl"), "stop", "-D", str(data), "-m", "immediate",
                            "--wait"], cwd=base, capture_output=True, timeout=COMMAND_TIMEOUT,
                           **as_user)
        shutil.rmtree(base, ignore_errors=True)
