"""Vietnamese first, English available: the catalogues are complete and current, pages speak
Vietnamese by default and English after the switch, and dates read DD/MM/YYYY in Vietnam time.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from datetime import UTC, date, datetime
from multiprocessing.synchronize import Barrier
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask, render_template_string
from flask.testing import FlaskClient
from markupsafe import escape

from engine import clock
from tests.support.web import csrf_token, sign_in
from web.i18n import compile_catalogues, format_date, format_datetime
from workflows.calendar import vietnam_date

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "web" / "translations"
TEMPLATE = TRANSLATIONS / "messages.pot"
#: The keywords ``pybabel extract`` is run with (see web/translations/README.md).
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "lazy_ngettext": (1, 2), "Message": None}
#: Where user-visible sentences live (web: gettext; engine and workflows: ``Message``).
SOURCE_PACKAGES = ("web", "engine", "workflows")
#: ``%(name)s``-style placeholders, and any other ``%`` that is not an escaped ``%%``.
PLACEHOLDER = re.compile(r"%\((\w+)\)([sdifr])")
STRAY_PERCENT = re.compile(r"%(?!%|\(\w+\)[sdifr])")

Key = tuple[str | None, str | tuple[str, ...]]


def _catalog(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as source:
        return read_po(source, locale=locale)


def _key(message: Message) -> Key:
    msgid = message.id if isinstance(message.id, str) else tuple(message.id)
    return (message.context, msgid)


def _keys(catalog: Catalog) -> set[Key]:
    return {_key(message) for message in catalog if message.id}


def _texts(value: str | tuple[str, ...] | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else [text or "" for text in value]


def _placeholders(value: str | tuple[str, ...] | list[str]) -> set[tuple[str, str]]:
    return {match for text in _texts(value) for match in PLACEHOLDER.findall(text)}


def _formatted(message: Message) -> bool:
    """Whether the text goes through ``%``: templates always do, Python only with values."""
    return message.python_format or any(path.endswith(".html") for path, _line in message.locations)


def _show(key: Key) -> str:
    context, msgid = key
    return f"{msgid!r}" + (f" (context {context!r})" if context else "")


def _extract_now() -> Catalog:
    """Extract the messages from the sources as ``pybabel extract -F babel.cfg`` would."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)

    def only_sources(dirpath: str) -> bool:
        relative = Path(os.path.relpath(dirpath, ROOT))
        name = relative.name
        return relative.parts[0] in SOURCE_PACKAGES and not name.startswith((".", "_"))

    catalog = Catalog()
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=only_sources
    ):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


# Catalogues ----------------------------------------------------------------------------------
def test_the_template_is_up_to_date_with_the_sources() -> None:
    extracted, committed = _keys(_extract_now()), _keys(_catalog(TEMPLATE))
    assert extracted, "nothing extracted: is babel.cfg readable?"
    new = sorted(map(_show, extracted - committed))
    gone = sorted(map(_show, committed - extracted))
    assert not new and not gone, (
        "web/translations/messages.pot is out of date; re-extract and update the catalogues "
        "(web/translations/README.md).\n"
        f"Not in the template yet: {new}\nNo longer in the sources: {gone}"
    )


def test_every_message_has_a_reviewed_vietnamese_translation() -> None:
    template, vietnamese = _catalog(TEMPLATE), _catalog(_po("vi"), "vi")
    problems = []
    for message in template:
        if not message.id:
            continue
        key = _key(message)
        translated = vietnamese.get(message.id, context=message.context)
        if translated is None:
            problems.append(f"missing from vi (run pybabel update): {_show(key)}")
        elif translated.fuzzy:
            problems.append(f"fuzzy, needs review: {_show(key)}")
        elif not all(_texts(translated.string)):
            problems.append(f"not translated: {_show(key)}")
        elif _placeholders(message.id) != _placeholders(translated.string):
            problems.append(
                f"placeholders differ: {_show(key)} -> {translated.string!r} "
                f"({sorted(_placeholders(message.id))} vs "
                f"{sorted(_placeholders(translated.string))})"
            )
        elif _formatted(message) and any(
            STRAY_PERCENT.search(text) for text in _texts(translated.string)
        ):
            problems.append(f"a lone % (write %%): {_show(key)} -> {translated.string!r}")
    stale = sorted(map(_show, _keys(vietnamese) - _keys(template)))
    if stale:
        problems.append(f"in vi but not in the template (run pybabel update): {stale}")
    assert not problems, "\n".join(problems)


def test_the_vietnamese_catalogue_header() -> None:
    vietnamese = _catalog(_po("vi"), "vi")
    assert str(vietnamese.locale) == "vi"
    assert vietnamese.plural_forms == "nplurals=1; plural=0;"
    assert "GLOSSARY" in (vietnamese.header_comment or "")


def test_the_english_catalogue_follows_the_template_and_keeps_the_msgids() -> None:
    """English text lives in the sources: the en catalogue only mirrors the template."""
    template, english = _catalog(TEMPLATE), _catalog(_po("en"), "en")
    assert _keys(english) == _keys(template), "run pybabel update (web/translations/README.md)"
    assert [m.id for m in english if m.id and any(_texts(m.string))] == []


def test_compiled_catalogues_are_not_sources() -> None:
    assert not list(TRANSLATIONS.rglob("*.mo")), "compiled .mo files belong in the instance folder"


def _compile_after(barrier: Barrier, target: Path) -> None:
    barrier.wait(timeout=30)
    compile_catalogues(target)


def test_processes_that_compile_the_catalogues_at_once_all_succeed(tmp_path: Path) -> None:
    """The suite's workers and gunicorn's workers start together on a fresh instance folder
    (CI once failed 1,568 tests because two workers renamed the same partial file)."""
    context = multiprocessing.get_context("fork")
    for round_ in range(5):
        target = tmp_path / str(round_)
        barrier = context.Barrier(6)
        workers = [context.Process(target=_compile_after, args=(barrier, target)) for _ in range(6)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(timeout=60)
        assert [worker.exitcode for worker in workers] == [0] * 6
        compiled = sorted(path.relative_to(target).as_posix() for path in target.rglob("*"))
        assert compiled == [
            "en",
            "en/LC_MESSAGES",
            "en/LC_MESSAGES/messages.mo",
            "vi",
            "vi/LC_MESSAGES",
            "vi/LC_MESSAGES/messages.mo",
        ]
        with (target / "vi/LC_MESSAGES/messages.mo").open("rb") as compiled_file:
            assert read_mo(compiled_file).get("Sign in") is not None


def _po(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


# Pages ---------------------------------------------------------------------------------------
def _page(client: FlaskClient, path: str, status: int = 200) -> str:
    response = client.get(path)
    assert response.status_code == status, f"{path}: {response.status_code}"
    return response.get_data(as_text=True)


def _switch(client: FlaskClient, code: str) -> None:
    token = csrf_token(client, "/inbox")
    response = client.post(f"/language/{code}", data={"csrf_token": token, "next": "/inbox"})
    assert response.status_code == 302


def test_the_login_page_is_vietnamese_by_default(client: FlaskClient) -> None:
    page = _page(client, "/login")
    assert 'lang="vi"' in page
    assert "<title>Đăng nhập · Lexflow</title>" in page
    assert "<h1>Đăng nhập</h1>" in page
    assert "Tên đăng nhập" in page and "Mật khẩu" in page
    assert "Username" not in page and "Password" not in page


@pytest.mark.parametrize(
    ("accept", "lang", "title"),
    [("en-GB,en;q=0.8", "en", "Sign in"), ("fr-FR,fr;q=0.9", "vi", "Đăng nhập")],
)
def test_visitors_get_their_browser_language_when_it_is_offered(
    client: FlaskClient, accept: str, lang: str, title: str
) -> None:
    response = client.get("/login", headers={"Accept-Language": accept})
    page = response.get_data(as_text=True)
    assert f'lang="{lang}"' in page and f"<h1>{title}</h1>" in page


def test_a_wrong_password_is_explained_in_vietnamese(client: FlaskClient) -> None:
    token = csrf_token(client)
    response = client.post(
        "/login", data={"username": "cv.sxd", "password": "sai-mat-khau-1", "csrf_token": token}
    )
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu." in response.get_data(as_text=True)


def test_signed_in_pages_are_vietnamese_then_english_after_the_switch(
    client: FlaskClient,
) -> None:
    sign_in(client, "cv.sxd")  # a new user's language is vi
    page = _page(client, "/inbox")
    assert 'lang="vi"' in page
    assert "<h1>Việc cần xử lý</h1>" in page
    assert "Việc của tôi" in page and "Việc chờ nhận theo vai trò" in page
    assert "Dự thảo" in page and "Văn bản QPPL" in page and "Kế hoạch năm" in page
    assert "Đăng xuất" in page and ">English</button>" in page
    assert "My tasks" not in page

    _switch(client, "en")
    page = _page(client, "/inbox")
    assert 'lang="en"' in page
    assert "<h1>Inbox</h1>" in page and "My tasks" in page and "Unclaimed for my roles" in page
    assert ">Tiếng Việt</button>" in page
    assert "Việc cần xử lý" not in page

    # The choice is the user's: it survives signing out and in again.
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    sign_in(client, "cv.sxd")
    assert "<h1>Inbox</h1>" in _page(client, "/inbox")

    _switch(client, "vi")
    assert "<h1>Việc cần xử lý</h1>" in _page(client, "/inbox")


def test_messages_from_views_are_translated(client: FlaskClient) -> None:
    sign_in(client, "cv.sxd")
    client.post("/logout", data={"csrf_token": csrf_token(client, "/inbox")})
    assert "Bạn đã đăng xuất." in _page(client, "/login")
    page = _page(client, "/no/such/page", status=404)
    assert "Không tìm thấy" in page and "Not found" not in page


def test_every_main_page_renders_in_vietnamese(app: Flask) -> None:
    """The administrator sees every page; each heading comes out of the vi catalogue."""
    vietnamese = _catalog(_po("vi"), "vi")

    def vi(msgid: str, **values: object) -> str:
        message = vietnamese.get(msgid)
        assert message is not None and message.string, msgid
        return str(escape(message.string % values if values else message.string))

    year = vietnam_date(clock.now()).year
    pages = {
        "/inbox": vi("Inbox"),
        "/drafts": vi("Drafts"),
        "/drafts/new": vi("New draft"),
        "/regulations": vi("Regulations"),
        f"/plan?year={year}": vi("Annual plan %(year)s", year=year),
        "/models": vi("Process models"),
        "/admin": vi("Administration"),
        "/admin/organisations": vi("Organisations"),
        "/admin/users": vi("Users"),
        "/admin/calendar?year=2026": vi("Working-day calendar %(year)s", year=2026),
        "/admin/rules": vi("Time limits"),
        "/profile": "Quản Trị Viên",
    }
    client = app.test_client()
    sign_in(client, "admin")
    for path, heading in pages.items():
        page = _page(client, path)
        assert 'lang="vi"' in page, path
        assert f"<h1>{heading}</h1>" in page, f"{path}: no <h1>{heading}</h1>"
        assert "Sign out" not in page, path


# Dates ---------------------------------------------------------------------------------------
def test_dates_read_day_month_year() -> None:
    assert format_date(date(2026, 1, 5)) == "05/01/2026"
    assert format_date(None) == "—"
    assert format_datetime(None) == "—"


def test_instants_are_shown_in_vietnamese_time() -> None:
    # 17:30 UTC on 1 September is 00:30 on 2 September in Hà Nội (UTC+7).
    late = datetime(2026, 9, 1, 17, 30, tzinfo=UTC)
    assert format_date(late) == "02/09/2026"
    assert format_datetime(late) == "02/09/2026 00:30"
    # Naive values are UTC.
    assert format_date(datetime(2026, 9, 1, 17, 30)) == "02/09/2026"
    # One minute before midnight in Vietnam is still the 1st.
    evening = datetime(2026, 9, 1, 16, 59, tzinfo=UTC)
    assert (format_date(evening), format_datetime(evening)) == ("01/09/2026", "01/09/2026 23:59")
    # New Year's Eve in UTC is already the new year in Vietnam.
    assert format_date(datetime(2025, 12, 31, 20, 0, tzinfo=UTC)) == "01/01/2026"


def test_templates_format_dates_through_the_filters(app: Flask) -> None:
    late = datetime(2026, 9, 1, 17, 30, tzinfo=UTC)
    with app.test_request_context("/"):
        rendered = render_template_string(
            "{{ moment|date_vn }} {{ moment|datetime_vn }} {{ day|date_vn }}",
            moment=late,
            day=date(2026, 4, 30),
        )
    assert rendered == "02/09/2026 02/09/2026 00:30 30/04/2026"


def test_the_calendar_page_lists_days_as_day_month_year(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "admin")
    page = _page(client, "/admin/calendar?year=2026")
    assert "<td>02/09/2026</td>" in page  # National Day, a Wednesday
    assert "<td>30/04/2026</td>" in page
