"""Lexflow's test suite.

Imported before any conftest: argon2's cheapest parameters for the whole run, so that thousands
of sign-ins do not spend minutes hashing (``workflows.accounts``; a served app refuses this
setting outside tests, and the tests that serve through gunicorn unset it).
"""

import os

os.environ["LEXFLOW_INSECURE_FAST_PASSWORD_HASHING"] = "1"
