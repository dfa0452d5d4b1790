"""A throwaway PostgreSQL server for the web tests (``EVER6_TEST_POSTGRESQL=1``).

Debian's server binaries (``make test`` installs them: Makefile ``postgresql``), a data folder in
a temporary directory, listening on 127.0.0.1 only, stopped and deleted when the test run ends.
PostgreSQL refuses to run as root, so as root (CI) the server runs as the ``postgres`` user.
Durability is switched off: the data is thrown away.
"""

from __future__ import annotations

import atexit
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[4]))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: `make test` installs it (apt-get install postgresql)")
    return Path(found[-1]).parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start() -> str:
    """Start a server; return its ``DATABASE_URL`` (superuser ``ever6``, no password, loopback only)."""
    bin_dir = _bin_dir()
    folder = Path(tempfile.mkdtemp(prefix="ever6-postgresql-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(folder, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, log = folder / "data", folder / "server.log"
    port = _free_port()

    def run(*args: str) -> None:
        result = subprocess.run([*as_user, *args], capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {result.stderr or result.stdout}")

    run(str(bin_dir / "initdb"), "-D", str(data), "-U", "ever6", "--auth=trust", "-E", "UTF8", "--no-locale", "-N")
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} "
        "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    )
    run(str(bin_dir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start")

    def stop() -> None:
        subprocess.run(
            [*as_user, str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"],
            capture_output=True,
            timeout=60,
        )
        shutil.rmtree(folder, ignore_errors=True)

    atexit.register(stop)
    return f"postgres://ever6@127.0.0.1:{port}/postgres"
