"""Lexflow web benchmark: prints tables of figures (it is not a test).

    python bench/web.py            # demo data and 100 k instances, about 10-15 min on 2 cores
    python bench/web.py --quick    # smoke run, under 90 s
    python bench/web.py --help

Inbox page and ``GET /api/v1/tasks`` latency (gunicorn over loopback HTTP, and the Flask test
client for comparison) with the demo data and with 100 k instances loaded, on SQLite and
PostgreSQL; ``POST /api/v1/tasks/{id}/complete`` requests/s with 1 and 4 gunicorn workers.
See bench/README.md for what each figure means.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

if __name__ == "__main__":
    # Run as a script, this file's directory comes first on sys.path, where this very file
    # would shadow the ``web`` package: put the repository root there instead.
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(ROOT))
    from bench._web import main

    raise SystemExit(main())
