"""One clock for every date decision: travel moves the whole process, freezing one block, and
no code reads the wall clock behind :mod:`engine.clock`'s back."""

from __future__ import annotations

import ast
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from engine import clock

ROOT = Path(__file__).resolve().parents[1]
#: Calls that read the machine's clock directly (the one allowed place is engine/clock.py).
WALL_CLOCK_CALLS = {
    ("datetime", "now"),
    ("datetime", "utcnow"),
    ("datetime", "today"),
    ("date", "today"),
    ("time", "time"),
    ("time", "localtime"),
    ("time", "gmtime"),
}


def _wall_clock_calls(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
            continue
        owner = node.func.value
        name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        if (name, node.func.attr) in WALL_CLOCK_CALLS:
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}.{node.func.attr}()")
    return found


def test_no_code_reads_the_wall_clock_behind_the_engine_clock() -> None:
    offenders = [
        call
        for package in ("engine", "workflows", "web")
        for path in sorted((ROOT / package).rglob("*.py"))
        if path != ROOT / "engine" / "clock.py"
        for call in _wall_clock_calls(path)
    ]
    assert offenders == []


def test_the_check_sees_the_calls_it_forbids(tmp_path: Path) -> None:
    sample = ROOT / "tests" / "data" / "_clock_sample.py"
    try:
        sample.write_text(
            "import datetime, time\nfrom datetime import date\n"
            "a = datetime.datetime.now()\nb = date.today()\nc = time.time()\n",
            encoding="utf-8",
        )
        assert len(_wall_clock_calls(sample)) == 3
    finally:
        sample.unlink()


def test_travel_moves_every_thread_and_keeps_running() -> None:
    target = datetime(2027, 2, 5, 2, 0, tzinfo=UTC)
    seen: list[datetime] = []
    before = clock.offset()
    with clock.travelling(target):
        worker = threading.Thread(target=lambda: seen.append(clock.now()))
        worker.start()
        worker.join()
        assert abs(seen[0] - target) < timedelta(seconds=5)
        later = clock.advance(timedelta(days=3))
        assert abs(later - (target + timedelta(days=3))) < timedelta(seconds=5)
        assert clock.now() >= later
    assert clock.offset() == before  # the suite's own clock is back


def test_a_frozen_instant_wins_over_travel() -> None:
    with clock.travelling(datetime(2030, 1, 1, tzinfo=UTC)):
        with clock.frozen_at(datetime(2026, 6, 30, 10, 0, tzinfo=UTC)) as frozen:
            assert clock.now() == frozen
        assert clock.now().year == 2030


def test_the_tricky_days_fixture_sets_the_process_clock(tricky_now: datetime) -> None:
    assert abs(clock.now() - tricky_now) < timedelta(seconds=5)


@pytest.mark.parametrize("naive", [datetime(2026, 1, 1), datetime(2026, 1, 1, 12)])
def test_naive_moments_are_taken_as_utc(naive: datetime) -> None:
    assert clock.as_utc(naive).tzinfo is UTC
