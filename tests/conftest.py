"""Shared fixtures: every database test runs on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path

import pytest

import workflows.schema  # noqa: F401  (domain tables and migrations join the schema)
from engine import Database, Engine, StaticDirectory, clock
from tests.support.databases import DatabaseFactory, SharedDatabase
from tests.support.days import MOMENT_IDS, MOMENTS
from tests.support.postgres import PostgresServer, start_postgres
from tests.support.workers import ACTORS

DATA = Path(__file__).parent / "data"
BACKENDS = ["sqlite", "postgresql"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Cases marked ``sqlite_only`` do not run on PostgreSQL (deselected, not skipped)."""
    dropped = [
        item for item in items if _postgresql_case(item) and item.get_closest_marker("sqlite_only")
    ]
    if dropped:
        chosen = set(map(id, dropped))
        config.hook.pytest_deselected(items=dropped)
        items[:] = [item for item in items if id(item) not in chosen]


def _postgresql_case(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and "postgresql" in callspec.params.values()


def suite_moment() -> datetime | None:
    """``LEXFLOW_TODAY=YYYY-MM-DD``: the whole suite runs as of that day (09:00 in Vietnam)."""
    raw = os.environ.get("LEXFLOW_TODAY", "").strip()
    if not raw:
        return None
    from workflows.calendar import VIETNAM_TZ

    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        raise pytest.UsageError(
            f"LEXFLOW_TODAY must be a date like 2027-01-02, not {raw!r}"
        ) from exc
    return datetime.combine(day, time(9, 0), tzinfo=VIETNAM_TZ)


@pytest.fixture(scope="session", autouse=True)
def suite_clock() -> Iterator[datetime]:
    """The process-wide clock of the suite: the real time, or ``LEXFLOW_TODAY``."""
    moment = suite_moment()
    if moment is None:
        yield clock.now()
        return
    with clock.travelling(moment) as now:
        yield now


@pytest.fixture(params=MOMENTS, ids=MOMENT_IDS)
def tricky_now(request: pytest.FixtureRequest) -> Iterator[datetime]:
    """Run the test with the whole process's clock at one of the days that break naive code
    (``tests/support/days.py``); the clock keeps running from there."""
    with clock.travelling(request.param) as now:
        yield now


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    server = start_postgres()  # raises (test error, not skip) if PostgreSQL cannot start
    yield server
    server.stop()


def _run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder every process of this test run shares: the parent of an xdist worker's
    base folder (``pytest-N/popen-gwK``), else the base folder itself (the run's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    factory = DatabaseFactory(
        tmp_path_factory.mktemp("databases"), None, shared=_run_folder(tmp_path_factory)
    )
    yield factory
    factory.close()


@pytest.fixture(scope="session", autouse=True)
def shared_databases_ahead(
    request: pytest.FixtureRequest, suite_clock: datetime, database_factory: DatabaseFactory
) -> None:
    """The shared databases the selected tests need (``@pytest.mark.shared_database``) are
    prepared in the background from the start: every worker finds each made once. (The
    factory is made here, on the suite's clock, before any test freezes it.)"""
    recipes: dict[SharedDatabase, None] = {}
    for item in request.session.items:
        for mark in item.iter_markers("shared_database"):
            recipes[mark.args[0]] = None
    database_factory.prepare_ahead(recipes)


def fresh_database_url(
    request: pytest.FixtureRequest, database_factory: DatabaseFactory, backend: str
) -> Iterator[str]:
    """A new empty database of ``backend`` for one test, dropped afterwards."""
    if backend == "postgresql":
        if database_factory.postgres is None:
            database_factory.postgres = request.getfixturevalue("postgres_server")
        url = database_factory.postgresql()
    else:
        url = database_factory.sqlite()
    yield url
    database_factory.drop(url)


@pytest.fixture(params=BACKENDS)
def database_url(
    request: pytest.FixtureRequest, database_factory: DatabaseFactory
) -> Iterator[str]:
    yield from fresh_database_url(request, database_factory, request.param)


@pytest.fixture
def pg_lifecycle(request: pytest.FixtureRequest, database_factory: DatabaseFactory):
    """The domain on a fresh PostgreSQL database with the test province (for the tests that
    only mean something there: several processes, gunicorn forking)."""
    from tests.support import province
    from workflows.lifecycle import Lifecycle

    for url in fresh_database_url(request, database_factory, "postgresql"):
        db = Database(url)
        with db.write() as session:
            province.seed(session)
        db.dispose()
        lifecycle = Lifecycle(Database(url))
        yield lifecycle
        lifecycle.db.dispose()


@pytest.fixture
def database(database_url: str) -> Iterator[Database]:
    db = Database(database_url)
    yield db
    db.dispose()


@pytest.fixture
def directory() -> StaticDirectory:
    directory = StaticDirectory.from_mapping(ACTORS)
    admin = directory.get("root")
    assert admin is not None
    from dataclasses import replace

    directory.add(replace(admin, is_admin=True))
    return directory


@pytest.fixture
def engine(database: Database, directory: StaticDirectory) -> Engine:
    return Engine(database, directory=directory)


def read_model(name: str) -> bytes:
    return (DATA / name).read_bytes()


# Web ------------------------------------------------------------------------------------------
def _seed_province(url: str) -> None:
    from tests.support import province

    database = Database(url)
    try:
        with database.write() as session:
            province.seed(session)
    finally:
        database.dispose()


@pytest.fixture
def lifecycle(database: Database, database_factory: DatabaseFactory):
    """The domain on a fresh database, with the test province seeded (no models deployed).

    The province is seeded once per process and day (its rows carry the day's timestamps)
    and copied into each test's database.
    """
    from workflows.lifecycle import Lifecycle

    day = clock.now().date().isoformat()
    database_factory.fill(database.url, f"province-{day}", _seed_province)
    return Lifecycle(Database(database.url))


@pytest.fixture
def app(lifecycle, tmp_path: Path):
    from web import create_app

    app = create_app(
        {
            "DATABASE_URL": lifecycle.db.url,
            "SECRET_KEY": "test-secret",
            "TESTING": True,
            "SCHEDULER_ENABLED": False,
        }
    )
    app.extensions["lexflow"] = lifecycle  # share the seeded lifecycle (and its caches)
    return app


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login_as(client):
    """``login_as("cv.sxd")`` signs the test client in (through the real form + CSRF)."""
    from tests.support.web import sign_in

    def _login(username: str):
        sign_in(client, username)
        return client

    return _login
