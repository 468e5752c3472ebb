"""The crash suite's pieces: a gunicorn that can be SIGKILLed and restarted, and a driver that
completes tasks through the HTTP API as a careful client would.

The client's rule is the one the API documents: an answer that never came (a refused or cut
connection) or a 5xx is an unknown outcome, and the completion is sent again with the same
``Idempotency-Key`` until a definite answer comes; a 200 is the only proof of completion.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
RETRY_PAUSE = 0.05
#: 5xx answers in a row to one request that mean a bug, not a crash (a kill gives no answer).
MAX_SERVER_ERRORS = 20


def _request(
    port: int, method: str, path: str, headers: dict[str, str], body: Any = None
) -> tuple[int | None, Any]:
    """``(status, json)``; ``(None, "refused")`` when nothing was listening (the server was
    down), ``(None, "cut")`` when the request may have reached a server that died before
    answering (the outcome is unknown)."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        payload = None if body is None else json.dumps(body)
        sent = {**headers, **({"Content-Type": "application/json"} if payload else {})}
        connection.request(method, path, body=payload, headers=sent)
        response = connection.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, None
    except ConnectionRefusedError:
        return None, "refused"
    except (OSError, http.client.HTTPException):
        return None, "cut"
    finally:
        connection.close()


class KillableGunicorn:
    """Lexflow under gunicorn in a process group of its own, so one SIGKILL takes the master
    and every worker at once (a power cut, an OOM kill of the whole service)."""

    def __init__(self, port: int, env: dict[str, str], log: Path, workers: int = 2) -> None:
        self.port, self.env, self.log, self.workers = port, env, log, workers
        self.process: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        command = [
            sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py"),
            "--preload", "-w", str(self.workers), "-b", f"127.0.0.1:{self.port}",
            "--log-level", "warning", "--timeout", "60", "web.wsgi:app",
        ]  # fmt: skip
        with open(self.log, "ab") as handle:
            self.process = subprocess.Popen(
                command, cwd=ROOT, env=self.env, stdout=handle, stderr=handle,
                start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"gunicorn exited: {self.log.read_text()[-3000:]}")
            if _request(self.port, "GET", "/api/v1/openapi.json", {})[0] == 200:
                return
            time.sleep(0.1)
        raise AssertionError(f"gunicorn did not answer: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.process is not None
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.kills += 1

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


@dataclass
class Tally:
    """What the clients were told. ``acknowledged``: task id → instance id, per 200."""

    acknowledged: dict[str, int] = field(default_factory=dict)
    #: Completions that took more than one attempt (refused, cut or a 5xx before the 200).
    retried: set[str] = field(default_factory=set)
    #: Completions committed in the database but not yet answered when a kill came.
    in_doubt: set[str] = field(default_factory=set)
    #: Completion requests whose answer was cut off by a kill: sent, outcome unknown.
    cut: int = 0
    refused: Counter[int] = field(default_factory=Counter)
    refusals: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def completions(self) -> int:
        return len(self.acknowledged)

    @property
    def replayed(self) -> set[str]:
        """Committed before a kill cut the answer, retried, answered 200: the key's work."""
        return self.in_doubt & self.retried


class Driver:
    """``clients`` threads, each completing the steps of its own instances one by one."""

    def __init__(
        self, port: int, token: str, instances: list[int], *, deadline: float, clients: int = 4
    ) -> None:
        self.port, self.deadline = port, deadline
        self.headers = {"Authorization": f"Bearer {token}"}
        self.shares = [instances[i::clients] for i in range(clients)]
        self.tally = Tally()
        self.errors: list[BaseException] = []

    def _until_answered(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: Any = None
    ) -> tuple[int, Any, int]:
        """``(status, body, attempts)``: sent again until an answer below 500 comes."""
        attempts = server_errors = 0
        while True:
            attempts += 1
            status, answer = _request(
                self.port, method, path, {**self.headers, **(headers or {})}, body
            )
            if status is not None and status < 500:
                return status, answer, attempts
            server_errors = server_errors + 1 if status is not None else 0
            if server_errors >= MAX_SERVER_ERRORS or time.monotonic() > self.deadline:
                raise AssertionError(f"{method} {path}: gave up, last answer {status} {answer}")
            if method == "POST" and status is None and answer == "cut":
                with self.tally.lock:
                    self.tally.cut += 1
            time.sleep(RETRY_PAUSE)

    def _open_task(self, instance_id: int) -> str | None:
        status, body, _ = self._until_answered("GET", f"/api/v1/tasks?instance_id={instance_id}")
        if status != 200:
            raise AssertionError(f"listing the tasks of {instance_id} answered {status}: {body}")
        items = body["items"]
        return items[0]["id"] if items else None

    def _complete(self, instance_id: int, task_id: str) -> None:
        key = {"Idempotency-Key": f"crash-{task_id}"}
        path = f"/api/v1/tasks/{task_id}/complete"
        status, body, attempts = self._until_answered("POST", path, key, {"data": {}})
        with self.tally.lock:
            if attempts > 1:
                self.tally.retried.add(task_id)
            if status == 200:
                self.tally.acknowledged[task_id] = instance_id
                return
            # The client cannot tell whether its completion counted: the gap the keys close.
            self.tally.refused[status] += 1
            self.tally.refusals.append(f"{task_id}: {status} {body}")
        raise AssertionError(f"completing {task_id} answered {status}: {body}")

    def _client(self, share: list[int]) -> None:
        try:
            for instance_id in share:
                while not self.errors and (task_id := self._open_task(instance_id)) is not None:
                    self._complete(instance_id, task_id)
        except BaseException as exc:  # reported by run(); the other clients stop too
            self.errors.append(exc)

    def run(self) -> None:
        threads = [threading.Thread(target=self._client, args=(s,)) for s in self.shares]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if self.errors:
            raise self.errors[0]


def kill_at_random(
    server: KillableGunicorn,
    tally: Tally,
    total: int,
    kills: int,
    rng: random.Random,
    done: threading.Event,
    committed: Callable[[], set[str]],
) -> threading.Thread:
    """SIGKILL the server ``kills`` times at random points of the run and restart it.

    Every other kill waits for the worst moment instead: a completion that ``committed``
    (the newest completed task ids, read from the database) shows as done but whose 200 has
    not reached its client yet - the lost answer a retry must not turn into a 409.
    """
    marks = sorted(rng.sample(range(total // 20, total * 19 // 20), kills))

    def unanswered() -> set[str]:
        found = committed()
        with tally.lock:
            return found - set(tally.acknowledged)

    def killer() -> None:
        for number, mark in enumerate(marks):
            while tally.completions < mark:
                if done.is_set():
                    return
                time.sleep(0.01)
            if number % 2:
                give_up = time.monotonic() + 5
                while not unanswered() and time.monotonic() < give_up:
                    time.sleep(0.002)
            else:
                time.sleep(rng.uniform(0, 0.05))  # land anywhere inside a request
            server.kill()
            pending = unanswered()  # answers already written still reach their clients
            with tally.lock:
                tally.in_doubt |= pending
            server.start()

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    return thread
