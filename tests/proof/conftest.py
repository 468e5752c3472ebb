"""The long proof suites (crash, race, hostile input, API fuzzing): run by `make proof`.

They are kept out of `make test` (each takes minutes) by `--ignore=tests/proof` in the
pytest options; `make proof` runs this folder alone. The fixtures of tests/conftest.py
(SQLite and the loopback PostgreSQL) apply here as everywhere.
"""
