"""Settings, read from the environment (``LEXFLOW_*``) with safe defaults for a demo.

``LEXFLOW_SECRET_KEY`` signs sessions; when it is not set a random key is generated once and
kept in the instance folder, so sessions survive restarts of the same installation.
"""

from __future__ import annotations

import os
import secrets
from datetime import time
from pathlib import Path
from typing import Any

from engine.database import default_database_url
from web.mail import smtp_config


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


def _secret_key(instance_path: Path) -> str:
    configured = os.environ.get("LEXFLOW_SECRET_KEY")
    if configured:
        return configured
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def scheduler_mode() -> str:
    """``LEXFLOW_SCHEDULER``: ``web`` (default; also 1/true/yes), ``separate`` or ``off``
    (also 0/false/no). Anything else stops the start-up with a sentence saying so."""
    raw = os.environ.get("LEXFLOW_SCHEDULER", "web").strip().lower()
    if raw in ("web", "1", "true", "yes", "on", ""):
        return "web"
    if raw in ("off", "0", "false", "no"):
        return "off"
    if raw == "separate":
        return "separate"
    raise ValueError(f"LEXFLOW_SCHEDULER must be web, separate or off, not {raw!r}")


def _time_of_day(name: str, default: time) -> time:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return time.fromisoformat(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a time of day such as 07:00, not {raw!r}") from exc


def _seconds(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a whole number of seconds (1 or more), not {raw!r}")
    return int(raw)


def settings(instance_path: Path) -> dict[str, Any]:
    """The app configuration; tests pass overrides to ``create_app``."""
    return {
        "DATABASE_URL": default_database_url(),
        "SECRET_KEY": _secret_key(instance_path),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _flag("LEXFLOW_SECURE_COOKIES", False),
        "PERMANENT_SESSION_LIFETIME": int(os.environ.get("LEXFLOW_SESSION_SECONDS", "28800")),
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "BABEL_DEFAULT_LOCALE": "vi",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Ho_Chi_Minh",
        "LANGUAGES": ("vi", "en"),
        "SCHEDULER_MODE": scheduler_mode(),
        # Whether web processes run the background jobs (LEXFLOW_SCHEDULER=web).
        "SCHEDULER_ENABLED": scheduler_mode() == "web",
        "SCHEDULER_INTERVAL_SECONDS": _seconds("LEXFLOW_TIMER_INTERVAL", 30),
        "REMINDER_INTERVAL_SECONDS": _seconds("LEXFLOW_REMINDER_INTERVAL", 300),
        "OUTBOX_INTERVAL_SECONDS": _seconds("LEXFLOW_OUTBOX_INTERVAL", 30),
        "DIGEST_AT": _time_of_day("LEXFLOW_DIGEST_AT", time(7, 0)),
        "ASSETS_DIR": os.environ.get(
            "LEXFLOW_ASSETS_DIR", str(Path(__file__).resolve().parent.parent / "node_modules")
        ),
        "WTF_CSRF_TIME_LIMIT": None,
        "PAGE_SIZE": 25,
        **smtp_config(),
    }
