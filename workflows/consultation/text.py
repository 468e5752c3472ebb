"""The draft's text by article, read from the DOCX in the dossier with python-docx.

Vietnamese legal drafts follow one layout (Decree 78/2025, Form of the draft): "Chương I",
"Mục 1", "Điều 3. Title", clauses "1. ..." and points "a) ...". :func:`parse_docx` reads the
paragraphs in order and keeps the tree; the result is stored per document version
(:class:`ConsultationText`) so the public page shows the exact version that was posted.
A file that is not a DOCX, or a DOCX without any "Điều", yields no text and a clear
message (:class:`UnreadableDraft`): the file is still posted for download.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import Message, clock
from engine.models import Base
from workflows.dossier import DocumentVersion, read_file

DRAFT_ITEM = "du_thao"
MAX_ARTICLES = 2000
MAX_PARAGRAPHS = 20000

_CHAPTER = re.compile(r"^Chương\s+([IVXLCDM\d]+)\b\.?\s*(.*)$", re.IGNORECASE)
_SECTION = re.compile(r"^Mục\s+(\d+)\b\.?\s*(.*)$", re.IGNORECASE)
_ARTICLE = re.compile(r"^Điều\s+(\d+[a-z]?)\s*[.:]?\s*(.*)$", re.IGNORECASE)
_CLAUSE = re.compile(r"^(\d+)\.\s+(.*)$")
_POINT = re.compile(r"^([a-zđ])\)\s+(.*)$")


class UnreadableDraft(Exception):
    """The draft's structure could not be read; ``message`` says why (to the drafter)."""

    def __init__(self, message: Message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class Clause:
    number: str
    text: str
    points: list[dict[str, str]] = field(default_factory=list)


@dataclass
class Article:
    number: str
    title: str
    chapter: str | None = None
    section: str | None = None
    intro: str = ""
    clauses: list[Clause] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"Điều {self.number}"


def parse_docx(data: bytes) -> list[Article]:
    """Articles with their clauses and points, in the order of the document."""
    from docx import Document  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        document = Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as error:
        raise UnreadableDraft(Message("the DOCX file could not be opened")) from error
    except Exception as error:
        raise UnreadableDraft(Message("the DOCX file could not be opened")) from error
    articles: list[Article] = []
    chapter: str | None = None
    section: str | None = None
    for count, paragraph in enumerate(document.paragraphs):
        if count >= MAX_PARAGRAPHS:
            break
        text = " ".join(paragraph.text.split())
        if not text:
            continue
        if match := _CHAPTER.match(text):
            chapter, section = f"Chương {match[1]}" + (f". {match[2]}" if match[2] else ""), None
            continue
        if match := _SECTION.match(text):
            section = f"Mục {match[1]}" + (f". {match[2]}" if match[2] else "")
            continue
        if match := _ARTICLE.match(text):
            if len(articles) >= MAX_ARTICLES:
                break
            articles.append(Article(match[1], match[2], chapter, section))
            continue
        if not articles:
            continue  # the preamble before Điều 1
        article = articles[-1]
        if (match := _POINT.match(text)) and article.clauses:
            article.clauses[-1].points.append({"letter": match[1], "text": match[2]})
        elif match := _CLAUSE.match(text):
            article.clauses.append(Clause(match[1], match[2]))
        elif article.clauses:
            clause = article.clauses[-1]
            if clause.points:
                clause.points[-1]["text"] += "\n" + text
            else:
                clause.text += "\n" + text
        else:
            article.intro = f"{article.intro}\n{text}".strip()
    if not articles:
        raise UnreadableDraft(
            Message(
                'no article ("Điều 1. ...") was found in the draft: it is posted as a file '
                "only, without the text by article"
            )
        )
    return articles


class ConsultationText(Base):
    """The text by article of one version of the draft (the dossier's ``du_thao`` item)."""

    __tablename__ = "consultation_text"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_version_id: Mapped[int] = mapped_column(ForeignKey("document_version.id"), unique=True)
    draft_id: Mapped[int] = mapped_column(ForeignKey("draft.id"), index=True)
    articles_json: Mapped[str | None] = mapped_column(Text)
    problem: Mapped[str | None] = mapped_column(String(500))
    read_at: Mapped[datetime]

    @property
    def articles(self) -> list[Article]:
        if not self.articles_json:
            return []
        result = []
        for item in json.loads(self.articles_json):
            clauses = [Clause(**c) for c in item.pop("clauses")]
            result.append(Article(**item, clauses=clauses))
        return result


def read_version(session: Session, version: DocumentVersion) -> ConsultationText:
    """Read (once) the text by article of a draft version; a failure is kept as ``problem``."""
    existing = session.execute(
        select(ConsultationText).where(ConsultationText.document_version_id == version.id)
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    articles_json, problem = None, None
    if not version.filename.lower().endswith(".docx"):
        problem = str(
            Message("only a DOCX draft can be shown by article; this file is posted for download")
        )
    else:
        try:
            articles = parse_docx(read_file(version))
            articles_json = json.dumps([asdict(a) for a in articles], ensure_ascii=False)
        except UnreadableDraft as error:
            problem = str(error.message)
    row = ConsultationText(
        document_version_id=version.id,
        draft_id=version.draft_id,
        articles_json=articles_json,
        problem=problem,
        read_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def draft_versions(session: Session, draft_id: int) -> list[DocumentVersion]:
    """Every version of the draft text, oldest first."""
    return list(
        session.execute(
            select(DocumentVersion)
            .where(DocumentVersion.draft_id == draft_id, DocumentVersion.item_code == DRAFT_ITEM)
            .order_by(DocumentVersion.version)
        ).scalars()
    )


def latest_draft_version(session: Session, draft_id: int) -> DocumentVersion | None:
    return session.execute(
        select(DocumentVersion)
        .where(DocumentVersion.draft_id == draft_id, DocumentVersion.item_code == DRAFT_ITEM)
        .order_by(DocumentVersion.version.desc())
        .limit(1)
    ).scalar_one_or_none()


def text_of_draft(session: Session, draft_id: int) -> tuple[DocumentVersion | None, Any]:
    """The latest draft version and its consultation text (read now if not yet)."""
    version = latest_draft_version(session, draft_id)
    if version is None:
        return None, None
    return version, read_version(session, version)
