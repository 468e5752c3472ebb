"""A throwaway PostgreSQL server on loopback for the test run.

Started once per test process (per xdist worker) in a temporary directory, on a free port,
with fsync off (the data is thrown away). If ``LEXFLOW_TEST_PG_URL`` is set, that server is
used instead. If PostgreSQL cannot be started the error is raised: the suite never silently
skips its PostgreSQL half. A test that stops the server (the database outage) starts one of
its own and uses :meth:`PostgresServer.halt` and :meth:`PostgresServer.resume`.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


class PostgresUnavailable(RuntimeError):
    pass


def _binary(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    if candidates:
        return candidates[0]
    raise PostgresUnavailable(
        f"'{name}' was not found: install PostgreSQL (apt-get install postgresql) "
        "or set LEXFLOW_TEST_PG_URL"
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _pg_ctl_start(as_user: list[str], pg_ctl: str, base: Path, options: str) -> None:
    start = subprocess.run(
        [
            *as_user,
            pg_ctl,
            "-D",
            str(base / "data"),
            "-l",
            str(base / "server.log"),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if start.returncode != 0:
        log = (base / "server.log").read_text() if (base / "server.log").exists() else ""
        raise PostgresUnavailable(f"pg_ctl start failed: {start.stderr}{log}")


@dataclass
class PostgresServer:
    url: str
    directory: Path | None = None
    pg_ctl: str | None = None
    as_user: list[str] | None = None
    options: str = ""

    def halt(self) -> None:
        """Stop the server at once (``-m immediate``, as a crash would), keeping its data."""
        if self.directory is None or self.pg_ctl is None:
            raise PostgresUnavailable("an external server (LEXFLOW_TEST_PG_URL) cannot be halted")
        subprocess.run(
            [
                *(self.as_user or []),
                self.pg_ctl,
                "-D",
                str(self.directory / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            capture_output=True,
            check=False,
        )

    def resume(self) -> None:
        """Start a halted server again on the same port and data (it recovers from its WAL)."""
        if self.directory is None or self.pg_ctl is None:
            raise PostgresUnavailable("an external server (LEXFLOW_TEST_PG_URL) cannot be resumed")
        _pg_ctl_start(self.as_user or [], self.pg_ctl, self.directory, self.options)

    def stop(self) -> None:
        if self.directory is None or self.pg_ctl is None:
            return
        self.halt()
        shutil.rmtree(self.directory, ignore_errors=True)


def start_postgres(*, durable_commits: bool = False) -> PostgresServer:
    """A throwaway server on loopback. ``durable_commits``: a commit is in the WAL before it is
    answered (``synchronous_commit`` stays on), for tests that kill the server and count what
    survived; otherwise the last commits may vanish with an immediate stop."""
    url = os.environ.get("LEXFLOW_TEST_PG_URL")
    if url:
        return PostgresServer(url=url)
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    base = Path(tempfile.mkdtemp(prefix="lexflow-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        # initdb refuses to run as root: run the server as the postgres user.
        runuser = shutil.which("runuser")
        if runuser is None:
            raise PostgresUnavailable("running as root and 'runuser' is missing")
        as_user = [runuser, "-u", "postgres", "--"]
        shutil.chown(base, user="postgres")
        base.chmod(0o755)
    data, sockets = base / "data", base / "sock"
    sockets.mkdir()
    if as_user:
        shutil.chown(sockets, user="postgres")
    init = subprocess.run(
        [
            *as_user,
            initdb,
            "--no-sync",  # the data is thrown away: do not wait for the disk
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "lexflow",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if init.returncode != 0:
        raise PostgresUnavailable(f"initdb failed: {init.stderr or init.stdout}")
    port = _free_port()
    options = (
        f"-c listen_addresses=127.0.0.1 -p {port} -k {sockets} -c fsync=off "
        f"-c synchronous_commit={'on' if durable_commits else 'off'} "
        "-c full_page_writes=off -c max_connections=200"
    )
    _pg_ctl_start(as_user, pg_ctl, base, options)
    server = PostgresServer(
        url=f"postgresql+psycopg://lexflow@127.0.0.1:{port}/postgres",
        directory=base,
        pg_ctl=pg_ctl,
        as_user=as_user,
        options=options,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                server.stop()
                raise PostgresUnavailable("PostgreSQL did not accept connections") from None
            time.sleep(0.1)
    return server
