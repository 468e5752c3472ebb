"""Lexflow engine benchmark: prints a table of figures (it is not a test).

    python bench/engine.py            # default sizes, about 5-10 minutes on 2 cores
    python bench/engine.py --quick    # smoke run, under a minute
    python bench/engine.py --help

See bench/README.md for what each figure means.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _fix_path() -> None:
    # Run as a script, this file's directory comes first on sys.path, where this very file
    # would shadow the ``engine`` package. Drop it and put the repository root first instead
    # (for ``bench.*`` and ``tests.support.postgres``).
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))


if __name__ == "__main__":
    _fix_path()
    from bench._main import main

    raise SystemExit(main())
