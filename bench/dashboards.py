"""Lexflow dashboard benchmark: the leaders' dashboards' queries with 100 k drafts.

    python bench/dashboards.py                 # 100 k drafts, SQLite and PostgreSQL
    python bench/dashboards.py --drafts 20000 --no-postgres --repeats 5
    python bench/dashboards.py --help

Loads the demo province once per backend, then copies its drafts in bulk (a draft, its
process instance, its plan item and up to six of its tasks each) until there are
``--drafts`` drafts, and times each dashboard's figures (p50/p95 over ``--repeats`` runs)
through the same functions the pages call. It prints a table and never fails on timing.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

if __name__ == "__main__":
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    sys.path.insert(0, str(ROOT))
    from bench._dashboards import main

    raise SystemExit(main())
