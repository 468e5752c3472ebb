"""What the race, hostile-input and fuzzing suites share: a real server and its users.

:func:`served` runs the real app (:func:`tests.browser.live.serve`, Werkzeug's threaded
server on a free loopback port) on a seeded database with the API test models deployed;
:class:`Caller` is one HTTP client with a bearer token of its own (``requests``: every
exchange goes over a real socket, as a script's would).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import requests

from tests.browser.live import LiveServer, serve
from tests.conftest import read_model
from tests.support.openapi import TEST_MODELS
from workflows import accounts
from workflows.directory import find_user
from workflows.lifecycle import Lifecycle


@contextmanager
def served(lifecycle: Lifecycle) -> Iterator[LiveServer]:
    """The app on ``lifecycle``'s database with the API test models deployed."""
    lifecycle.engine.deploy({name: read_model(name) for name in TEST_MODELS}, "owner")
    with serve(lifecycle) as server:
        yield server


def token(lifecycle: Lifecycle, username: str, name: str = "proof") -> str:
    with lifecycle.db.write() as session:
        user = find_user(session, username)
        assert user is not None, username
        return accounts.issue_token(session, user, name)


def add_drafters(lifecycle: Lifecycle, count: int, organisation: str = "SXD") -> list[str]:
    """``count`` more drafters of ``organisation`` (``racer01``...), who may all claim its steps."""
    names = [f"racer{n:02d}" for n in range(1, count + 1)]
    with lifecycle.db.write() as session:
        for name in names:
            accounts.create_user(
                session, name, f"Người thử {name}", None, [("drafter", organisation)]
            )
    return names


@dataclass
class Caller:
    """One client of the API: its own connection pool and bearer token."""

    base: str
    secret: str
    timeout: float = 60.0
    session: requests.Session = field(default_factory=requests.Session)

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.secret}", **kwargs.pop("headers", {})}
        return self.session.request(
            method, self.base + path, headers=headers, timeout=self.timeout, **kwargs
        )


@dataclass
class Timed:
    status: int
    seconds: float


def timed_get(base: str, path: str, secret: str, timeout: float = 30.0) -> Timed:
    """One GET on a fresh connection, with how long the answer took (wall time)."""
    started = time.perf_counter()
    response = requests.get(
        base + path, headers={"Authorization": f"Bearer {secret}"}, timeout=timeout
    )
    return Timed(response.status_code, time.perf_counter() - started)
