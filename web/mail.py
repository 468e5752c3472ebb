"""The e-mail side of notifications as configured for this app: SMTP settings from the
configuration (``LEXFLOW_SMTP_*``), and message catalogues so that each e-mail is written
in its recipient's language.

The scheduler's delivery job calls :func:`outbox_mailer` once and passes the mailer to
:func:`workflows.notifications.deliver_outbox`.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from babel.support import Translations
from flask import Flask

from workflows.notifications.kinds import Translate
from workflows.notifications.outbox import DeliveryRun, deliver_outbox
from workflows.notifications.smtp import SmtpMailer, SmtpSettings


def smtp_config() -> dict[str, Any]:
    """The app configuration keys of e-mail, read from the environment."""
    env = os.environ.get
    security = env("LEXFLOW_SMTP_SECURITY", "none").strip().lower()
    default_port = {"tls": "465", "starttls": "587"}.get(security, "25")
    return {
        "SMTP_HOST": env("LEXFLOW_SMTP_HOST") or None,
        "SMTP_PORT": int(env("LEXFLOW_SMTP_PORT") or default_port),
        "SMTP_SECURITY": security,
        "SMTP_USER": env("LEXFLOW_SMTP_USER") or None,
        "SMTP_PASSWORD": env("LEXFLOW_SMTP_PASSWORD") or None,
        "SMTP_FROM": env("LEXFLOW_SMTP_FROM", "lexflow@localhost"),
        "SMTP_TIMEOUT": float(env("LEXFLOW_SMTP_TIMEOUT") or "20"),
        "SMTP_CA_FILE": env("LEXFLOW_SMTP_CA_FILE") or None,
        "BASE_URL": env("LEXFLOW_BASE_URL") or None,
    }


def smtp_settings(config: Any) -> SmtpSettings | None:
    """The SMTP settings of an app configuration; None when no host is configured."""
    host = config.get("SMTP_HOST")
    if not host:
        return None
    return SmtpSettings(
        host=host,
        port=int(config.get("SMTP_PORT") or 25),
        security=str(config.get("SMTP_SECURITY") or "none"),
        user=config.get("SMTP_USER"),
        password=config.get("SMTP_PASSWORD"),
        sender=str(config.get("SMTP_FROM") or "lexflow@localhost"),
        timeout=float(config.get("SMTP_TIMEOUT") or 20),
        ca_file=config.get("SMTP_CA_FILE"),
        base_url=config.get("BASE_URL"),
    )


@cache
def _catalogue(directory: str, language: str) -> Translations:
    return Translations.load(directory, [language])


def catalogue_translations(directory: str | Path) -> Callable[[str], Translate]:
    """language -> the lookup of a template in that language's compiled catalogue."""
    folder = str(directory)

    def for_language(language: str) -> Translate:
        return _catalogue(folder, language).gettext

    return for_language


def outbox_mailer(app: Flask) -> SmtpMailer | None:
    """The mailer for ``deliver_outbox`` (None when SMTP is not configured)."""
    settings = smtp_settings(app.config)
    if settings is None:
        return None
    return SmtpMailer(settings, catalogue_translations(app.config["BABEL_TRANSLATION_DIRECTORIES"]))


def send_outbox(app: Flask, limit: int = 200) -> DeliveryRun | None:
    """Deliver what the outbox holds through the app's configured server (the scheduler's
    delivery job); None when SMTP is not configured (messages wait, nothing is lost)."""
    mailer = outbox_mailer(app)
    if mailer is None:
        return None
    return deliver_outbox(app.extensions["lexflow"].db, mailer, limit=limit)
