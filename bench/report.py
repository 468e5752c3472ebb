"""Lexflow performance report: every benchmark in one run, one table (it is not a test).

    python bench/report.py            # full sizes (inbox at 10 k / 100 k / 1 M tasks)
    python bench/report.py --quick    # smoke run, small sizes, under 3 minutes
    python bench/report.py --help

Raw SpiffWorkflow vs the engine vs HTTP per task completion, a full nq_hdnd_tinh lifecycle,
a step in a 20- vs a 200-task instance, inbox p95 (engine and HTML page), timers/s and HTTP
completions/s with 1 and 4 gunicorn workers, on SQLite and PostgreSQL, with the targets of
issue 13. The sections' detailed tables go to a log file. See bench/README.md.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

if __name__ == "__main__":
    # Run as a script, this file's directory comes first on sys.path, where bench/engine.py
    # and bench/web.py would shadow the ``engine`` and ``web`` packages.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(ROOT))
    from bench._report import main

    raise SystemExit(main())
