"""Vietnamese first, English available; dates as DD/MM/YYYY in Vietnamese time.

Message catalogues are kept as ``.po`` sources in ``web/translations``; they are compiled to
``.mo`` in the instance folder when the app starts (compiled files are build output, not
sources, and are not committed).
"""

from __future__ import annotations

import os
import secrets
from datetime import date, datetime
from pathlib import Path
from typing import Any

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask, g, has_app_context, request, session
from flask_babel import get_locale, get_translations, gettext
from markupsafe import Markup

from engine import Message, clock
from engine.form_extensions import RuleText
from web.extensions import babel
from workflows.calendar import VIETNAM_TZ, vietnam_date

SOURCES = Path(__file__).resolve().parent / "translations"


def compile_catalogues(target: Path) -> Path:
    """Compile every ``.po`` newer than its ``.mo`` into ``target``; returns ``target``."""
    for po_path in SOURCES.glob("*/LC_MESSAGES/*.po"):
        relative = po_path.relative_to(SOURCES).with_suffix(".mo")
        mo_path = target / relative
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as source:
            catalog = read_po(source, locale=relative.parts[0])
        # Several processes may compile at once (gunicorn workers, the suite's xdist workers):
        # each writes its own partial file and renames it atomically over the same target.
        partial = mo_path.with_name(f"{mo_path.name}.{os.getpid()}.{secrets.token_hex(4)}.part")
        with partial.open("wb") as out:
            write_mo(out, catalog)
        partial.replace(mo_path)
    return target


def select_locale() -> str:
    """The page's language: the switch, else the profile, else the browser, else Vietnamese.

    API calls put an explicit ``Accept-Language`` first: a script that asks for English
    messages gets them whatever its owner's profile says.
    """
    if request.path.startswith("/api/") and request.headers.get("Accept-Language"):
        asked = request.accept_languages.best_match(["vi", "en"])
        if asked:
            return str(asked)
    if request.blueprint == "public" or request.path.startswith("/public/"):
        # The public pages open no session: the language comes from the link, else the browser.
        asked = request.args.get("lang")
        if asked in ("vi", "en"):
            return str(asked)
        return request.accept_languages.best_match(["vi", "en"]) or "vi"
    chosen = session.get("lang")
    if chosen in ("vi", "en"):
        return str(chosen)
    user = g.get("user")
    if user is not None and user.language in ("vi", "en"):
        return str(user.language)
    return request.accept_languages.best_match(["vi", "en"]) or "vi"


def localize(text: object) -> str:
    """``text`` in the user's language when it is an engine or domain :class:`Message`.

    Its template is looked up in the catalogue and filled again with its values (messages
    among the values are translated too); any other text is returned as it is.
    """
    if text is None:
        return ""
    if isinstance(text, RuleText):  # a model's own message, written in both languages
        return text.in_language(str(get_locale() or "vi"))
    if not isinstance(text, Message):
        return str(text)
    if not text.params:
        return str(gettext(text.template))
    values = {
        name: localize(value) if isinstance(value, Message) else value
        for name, value in text.params.items()
    }
    return str(gettext(text.template, **values))


def format_date(value: date | datetime | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = vietnam_date(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: datetime | None) -> str:
    if value is None:
        return "—"
    return clock.as_utc(value).astimezone(VIETNAM_TZ).strftime("%d/%m/%Y %H:%M")


def days_left(due: datetime | None) -> int | None:
    """Calendar days from today (Vietnam) to the due date; negative when overdue."""
    if due is None:
        return None
    return (vietnam_date(due) - vietnam_date(clock.now())).days


def _catalogue() -> Any:
    """The catalogue of the locale in force, found once per request and locale.

    Flask-Babel looks it up again on every call (context, domain, locale, cache): an inbox
    page of 25 rows makes some 200 calls, a fifth of the page's time. The locale object
    is the key, so ``force_locale`` (documents rendered in Vietnamese for an English
    reader) gets its own catalogue.
    """
    if not has_app_context():
        return get_translations()
    locale = getattr(g.get("_flask_babel"), "babel_locale", None)
    kept = g.get("_lexflow_catalogue")
    if locale is not None and kept is not None and kept[0] is locale:
        return kept[1]
    translations = get_translations()
    g._lexflow_catalogue = (getattr(g.get("_flask_babel"), "babel_locale", None), translations)
    return translations


def init_app(app: Flask) -> None:
    directory = compile_catalogues(Path(app.instance_path) / "translations")
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    babel.init_app(app, locale_selector=select_locale)
    app.jinja_env.install_gettext_callables(  # Flask-Babel's own, through _catalogue()
        gettext=lambda s: _catalogue().ugettext(s),
        ngettext=lambda s, p, n: _catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: _catalogue().unpgettext(c, s, p, n),
    )
    app.jinja_env.filters["date_vn"] = format_date
    app.jinja_env.filters["datetime_vn"] = format_datetime
    app.jinja_env.filters["localize"] = localize
    app.jinja_env.globals["days_left"] = days_left
    app.jinja_env.globals["current_locale"] = select_locale
    app.jinja_env.filters["nl2br"] = lambda text: Markup("<br>").join((text or "").splitlines())
