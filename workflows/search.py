"""Text search the way Vietnamese users type: without accents, in any case, with stray spaces.

People type "thu phi", "THU PHÍ" or "thu  phí" and expect the same drafts. :func:`fold` is the
one normal form for both sides: what is stored (the ``search_text`` columns, kept current by
:func:`folded_column_of`) and what is typed. Because both sides are folded in Python, SQLite
and PostgreSQL answer alike (neither needs ``unaccent`` or a collation), and an in-memory
filter (:func:`matches`) gives the same answers as a query (:func:`contains`).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import InstrumentedAttribute, validates
from sqlalchemy.sql.elements import ColumnElement

# "đ" is a letter of its own in Unicode (no decomposition), so stripping marks leaves it.
_LETTERS = str.maketrans({"đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """``text`` without diacritics, case-folded, runs of whitespace made one space.

    "Thu phí  ĐẤT" and "thu phi dat" fold to the same string. Letters keep their order and
    count (Vietnamese letters map one to one onto their base letter), so a folded needle is
    found in a folded haystack exactly where the original words were.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFD", text.translate(_LETTERS).casefold())
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(bare.split())


def matches(needle: str | None, *haystack: str | None) -> bool:
    """Whether the folded ``needle`` occurs in the folded fields (an empty needle matches)."""
    wanted = fold(needle)
    return not wanted or wanted in fold(" ".join(part for part in haystack if part))


def contains(column: InstrumentedAttribute[str], needle: str | None) -> ColumnElement[bool] | None:
    """``column LIKE '%' || fold(needle) || '%'`` with ``%``, ``_`` and the escape character
    taken literally; ``None`` when the folded needle is empty (no filter to add)."""
    wanted = fold(needle)
    if not wanted:
        return None
    return column.contains(wanted, autoescape=True)


def folded_column_of(target: str, *sources: str) -> Callable[..., Any]:
    """A validator that keeps ``target`` equal to the fold of ``sources`` joined by spaces.

    Assign it in a model's class body (``_search = folded_column_of("search_text", "title",
    "code")``); SQLAlchemy then calls it whenever one of the sources is set, on new rows
    and on loaded ones alike, so the stored text cannot lag behind the title it mirrors.
    """

    @validates(*sources)
    def keep_folded(instance: Any, key: str, value: Any) -> Any:
        parts = [value if name == key else getattr(instance, name) for name in sources]
        setattr(instance, target, fold(" ".join(str(part) for part in parts if part)))
        return value

    return keep_folded
