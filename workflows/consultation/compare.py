"""What changed between two versions of a draft, article by article (difflib).

Articles are aligned by their titles (``SequenceMatcher`` over the list of titles), so a new
article inserted near the top does not make every later, renumbered one look "changed";
articles whose titles changed in place are paired by position. Within a changed article the
words are compared, and each side gets its segments (same / removed / inserted) so a page can
show the two texts side by side with the changed words highlighted. Pages escape the text;
nothing here builds HTML.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from workflows.consultation.text import Article, draft_versions, read_version
from workflows.dossier import DocumentVersion

KINDS = ("added", "removed", "changed")


@dataclass(frozen=True)
class Segment:
    kind: str  # same | removed | inserted
    text: str


@dataclass
class ArticleChange:
    kind: str  # added | removed | changed
    old: Article | None
    new: Article | None
    old_segments: list[Segment] = field(default_factory=list)
    new_segments: list[Segment] = field(default_factory=list)


@dataclass
class Comparison:
    old: DocumentVersion
    new: DocumentVersion
    changes: list[ArticleChange]
    unchanged: int
    #: Why the versions could not be compared by article (one of them has no text by article).
    problem: str | None = None

    def count(self, kind: str) -> int:
        return sum(c.kind == kind for c in self.changes)


def article_text(article: Article) -> str:
    """The article as one text: title, intro, clauses and their points."""
    lines = [f"Điều {article.number}. {article.title}".strip()]
    if article.intro:
        lines.append(article.intro)
    for clause in article.clauses:
        lines.append(f"{clause.number}. {clause.text}")
        lines.extend(f"{p['letter']}) {p['text']}" for p in clause.points)
    return "\n".join(lines)


def _tokens(text: str) -> list[str]:
    """Words with the whitespace after them, so the segments join back into the text."""
    tokens: list[str] = []
    for line in text.split("\n"):
        words = line.split(" ")
        tokens.extend(f"{w} " for w in words[:-1])
        tokens.append(words[-1] + "\n")
    if tokens:
        tokens[-1] = tokens[-1].rstrip("\n")
    return tokens


def _merge(segments: list[Segment], kind: str, text: str) -> None:
    if not text:
        return
    if segments and segments[-1].kind == kind:
        segments[-1] = Segment(kind, segments[-1].text + text)
    else:
        segments.append(Segment(kind, text))


def word_diff(old: str, new: str) -> tuple[list[Segment], list[Segment]]:
    """Both sides as segments: what stayed, what went (old side), what came (new side)."""
    a, b = _tokens(old), _tokens(new)
    left: list[Segment] = []
    right: list[Segment] = []
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            _merge(left, "same", "".join(a[i1:i2]))
            _merge(right, "same", "".join(b[j1:j2]))
            continue
        _merge(left, "removed", "".join(a[i1:i2]))
        _merge(right, "inserted", "".join(b[j1:j2]))
    return left, right


def _pair(old: Article, new: Article) -> ArticleChange | None:
    before, after = article_text(old), article_text(new)
    if before == after:
        return None
    left, right = word_diff(before, after)
    return ArticleChange("changed", old, new, left, right)


def compare_articles(old: list[Article], new: list[Article]) -> tuple[list[ArticleChange], int]:
    """The added, removed and changed articles in the order of the texts, and how many stayed."""
    titles = difflib.SequenceMatcher(
        None, [a.title.casefold() for a in old], [a.title.casefold() for a in new], autojunk=False
    )
    changes: list[ArticleChange] = []
    unchanged = 0
    for op, i1, i2, j1, j2 in titles.get_opcodes():
        pairs = (
            list(zip(old[i1:i2], new[j1:j2], strict=False)) if op in ("equal", "replace") else []
        )
        for before, after in pairs:
            change = _pair(before, after)
            if change is None:
                unchanged += 1
            else:
                changes.append(change)
        changes.extend(ArticleChange("removed", a, None) for a in old[i1 + len(pairs) : i2])
        changes.extend(ArticleChange("added", None, a) for a in new[j1 + len(pairs) : j2])
    return changes, unchanged


def compare_versions(
    session: Session, draft_id: int, old_number: int | None = None, new_number: int | None = None
) -> Comparison | None:
    """Compare two versions of the draft text (default: the one before the latest and the
    latest); None when the draft has fewer than two versions or a number is unknown."""
    versions = {v.version: v for v in draft_versions(session, draft_id)}
    if len(versions) < 2:
        return None
    numbers = sorted(versions)
    new_number = new_number if new_number is not None else numbers[-1]
    if new_number not in versions:
        return None
    if old_number is None:
        earlier = [n for n in numbers if n < new_number]
        if not earlier:
            return None
        old_number = earlier[-1]
    if old_number not in versions or old_number == new_number:
        return None
    old, new = versions[old_number], versions[new_number]
    old_text, new_text = read_version(session, old), read_version(session, new)
    problem = old_text.problem or new_text.problem
    if problem:
        return Comparison(old, new, [], 0, problem)
    changes, unchanged = compare_articles(old_text.articles, new_text.articles)
    return Comparison(old, new, changes, unchanged)
