"""HTTP plumbing of the web benchmark: a gunicorn server, clients, sign-in, request timing.

Two kinds of client share one small interface (``request(method, path, headers, body)`` ->
``Reply``), so the same measurement runs over loopback HTTP against gunicorn and in-process
through Flask's test client:

* :class:`HttpClient`: ``http.client`` with a kept-open connection (it reconnects when the
  server closes it; gunicorn's *sync* workers close after every response, so against them
  each request pays a TCP connect on loopback; ``connects`` counts them) and a cookie jar;
* :class:`TestClient`: ``app.test_client()`` (no socket, no WSGI server, same app code).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
SECRET_KEY = "lexflow-bench-web-secret-key-not-for-production"  # noqa: S105 - throwaway
CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


# Clients -----------------------------------------------------------------------------------------
class HttpClient:
    """One keep-alive connection to ``127.0.0.1:port`` with a cookie jar."""

    def __init__(self, port: int, timeout: float = 60.0) -> None:
        self.port = port
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}
        self.connects = 0

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            self.conn.connect()
            self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.connects += 1
        return self.conn

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=sent)
                response = conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                # The server closed a kept-open connection between two requests: retry once
                # on a new one (only possible before the request was processed).
                self.close()
                if attempt == 2:
                    raise
        got = {k.lower(): v for k, v in response.getheaders()}
        for raw in response.headers.get_all("Set-Cookie") or []:
            jar: SimpleCookie = SimpleCookie()
            jar.load(raw)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        if response.will_close or got.get("connection", "").lower() == "close":
            self.close()
        return Reply(response.status, data, got)

    def adopt(self, cookies: dict[str, str]) -> None:
        self.cookies.update(cookies)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class TestClient:
    """Flask's test client behind the same interface (cookies kept by the test client)."""

    connects = 0

    def __init__(self, app: Any) -> None:
        self.client = app.test_client()

    def adopt(self, cookies: dict[str, str]) -> None:
        for name, value in cookies.items():
            self.client.set_cookie(name, value)

    def request(
        self,
        method: str,
        path: str,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
    ) -> Reply:
        response = self.client.open(path, method=method, headers=headers or {}, data=body)
        return Reply(response.status_code, response.get_data(), dict(response.headers))

    def close(self) -> None:
        pass


def sign_in(client: HttpClient | TestClient, username: str, password: str) -> None:
    """A real page sign-in: GET the form, POST it back with its CSRF token."""
    form = client.request("GET", "/login")
    match = CSRF.search(form.body)
    if form.status != 200 or match is None:
        raise RuntimeError(f"no sign-in form: HTTP {form.status}")
    body = urlencode(
        {"csrf_token": match.group(1).decode(), "username": username, "password": password}
    ).encode()
    reply = client.request(
        "POST",
        "/login",
        {"Content-Type": "application/x-www-form-urlencoded"},
        body,
    )
    if reply.status != 302:
        raise RuntimeError(f"sign-in of {username} failed: HTTP {reply.status}")


def json_body(data: Any) -> tuple[dict[str, str], bytes]:
    return {"Content-Type": "application/json"}, json.dumps(data).encode()


# The server --------------------------------------------------------------------------------------
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Gunicorn:
    """``gunicorn -w N [--threads T] 'web.wsgi:app'`` on loopback, for one database.

    The scheduler is off (``LEXFLOW_SCHEDULER=0``) and there is no access log, so a worker
    does nothing but serve requests. stderr goes to ``log``.
    """

    def __init__(self, url: str, workers: int, threads: int, log: Path) -> None:
        self.url = url
        self.workers = workers
        self.threads = threads
        self.log = log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def label(self) -> str:
        kind = f"gthread x{self.threads}" if self.threads > 1 else "sync"
        return f"gunicorn -w {self.workers} ({kind})"

    def __enter__(self) -> Gunicorn:
        env = {
            **os.environ,
            "LEXFLOW_DATABASE_URL": self.url,
            "LEXFLOW_SECRET_KEY": SECRET_KEY,
            "LEXFLOW_SCHEDULER": "0",
            # Importing tests.support (the throwaway PostgreSQL) sets it; a served app
            # refuses to start with it.
            "LEXFLOW_INSECURE_FAST_PASSWORD_HASHING": "",
        }
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "-w",
            str(self.workers),
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
            "--timeout",
            "120",
            "--backlog",
            "256",
        ]
        if self.threads > 1:
            command += ["--worker-class", "gthread", "--threads", str(self.threads)]
        command.append("web.wsgi:app")
        with open(self.log, "ab") as handle:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT
            )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}): {self.tail()}")
            try:
                client = HttpClient(self.port, timeout=5)
                if client.request("GET", "/login").status == 200:
                    client.close()
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s: {self.tail()}")

    def warm_all_workers(self, path: str, headers: dict[str, str], rounds: int = 3) -> None:
        """Send each worker a few requests (imports, caches, pool) before timing anything.

        The kernel hands connections to whichever worker accepts first, so send
        ``rounds x workers x threads`` requests at the same time.
        """
        from concurrent.futures import ThreadPoolExecutor

        slots = self.workers * self.threads
        with ThreadPoolExecutor(slots) as pool:
            for _ in range(rounds):
                list(
                    pool.map(
                        lambda _: HttpClient(self.port).request("GET", path, headers),
                        range(slots * 2),
                    )
                )

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def __exit__(self, *exc: object) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
