"""Statutory time limits as data, and the ``deadline()`` function models use.

Each :class:`DeadlineRule` row says how long a step may take for a document type and
procedure, in working or calendar days, citing its article, from the date it applies. When a
draft starts, the rows in force that day are copied into the process (``deadline_rules``), so
a decree that changes a number is one new row for the administrator, and drafts already
running keep the rule they started with.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Date, Integer, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from engine import clock
from engine.expressions import contextual
from engine.models import Base
from workflows.calendar import WorkingCalendar, end_of_day, vietnam_date

ANY = "*"
UNITS = ("working_days", "calendar_days")
PROCEDURES = ("normal", "simplified")


#: The steps the rule table times, as people name them (Vietnamese, English): notifications
#: and pages never show the key itself.
STEP_NAMES: dict[str, tuple[str, str]] = {
    "registration": ("Lập đề nghị xây dựng văn bản", "Proposal for the document"),
    "drafting": ("Soạn thảo", "Drafting"),
    "posting": ("Đăng tải lấy ý kiến", "Posting for comments"),
    "consultation_reply": ("Góp ý của cơ quan được lấy ý kiến", "Consulted agency's reply"),
    "mttq_criticism": ("Phản biện xã hội của Ủy ban MTTQ", "Fatherland Front criticism"),
    "comment_synthesis": ("Tổng hợp, tiếp thu, giải trình ý kiến", "Synthesis of comments"),
    "appraisal": ("Thẩm định", "Appraisal"),
    "appraisal_intake": ("Tiếp nhận hồ sơ thẩm định", "Appraisal dossier intake"),
    "ubnd_review": ("UBND xem xét", "People's Committee consideration"),
    "examination": ("Thẩm tra", "Examination"),
    "examination_intake": ("Tiếp nhận hồ sơ thẩm tra", "Examination dossier intake"),
    "session_vote": ("Biểu quyết tại kỳ họp", "Vote at the session"),
    "signing": ("Ký ban hành", "Signing"),
    "publication": ("Gửi đăng Công báo", "Sending for publication"),
    "implementation_plan": ("Kế hoạch triển khai thi hành", "Implementation plan"),
    "implementation_report": ("Báo cáo tình hình thi hành", "Implementation report"),
    "inspection": ("Kiểm tra văn bản", "Inspection"),
    "review": ("Rà soát văn bản", "Review"),
}


def step_name(step: str, language: str = "vi") -> str:
    """A step key's name in ``language`` (the key itself when the table does not know it)."""
    names = STEP_NAMES.get(step)
    if names is None:
        return step
    return names[1] if language == "en" else names[0]


class DeadlineRule(Base):
    """One statutory time limit, in force from ``effective_from``."""

    __tablename__ = "deadline_rule"
    __table_args__ = (UniqueConstraint("document_type", "procedure", "step", "effective_from"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    document_type: Mapped[str] = mapped_column(String(40))  # a process id, or "*"
    procedure: Mapped[str] = mapped_column(String(20))  # normal | simplified | "*"
    step: Mapped[str] = mapped_column(String(40))
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(20))  # working_days | calendar_days
    legal_basis: Mapped[str] = mapped_column(Text)
    confirmed: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[date] = mapped_column(Date)


@dataclass(frozen=True)
class RuleSeed:
    document_type: str
    procedure: str
    step: str
    amount: int
    unit: str
    legal_basis: str
    confirmed: bool = True
    note: str | None = None
    effective_from: date = date(2025, 4, 1)


_LAW = "Luật Ban hành VBQPPL số 64/2025/QH15"
_D187 = "Nghị định 187/2025/NĐ-CP (sửa Nghị định 78/2025)"
_UNSURE = "Chưa xác nhận trong văn bản; quản trị viên cần đối chiếu và sửa nếu khác."

#: The rules Lexflow ships with. Rows marked confirmed=False carry numbers DOMAIN.md lists
#: as unconfirmed; an administrator checks and edits them (a new row, not an update).
DEFAULT_RULES: tuple[RuleSeed, ...] = (
    RuleSeed(ANY, ANY, "registration", 15, "working_days", f"{_LAW}, lập đề nghị", False, _UNSURE),
    RuleSeed(
        ANY,
        ANY,
        "drafting",
        60,
        "calendar_days",
        "Theo kế hoạch xây dựng văn bản",
        False,
        "Thời hạn soạn thảo do kế hoạch năm quyết định; 60 ngày là mặc định.",
    ),
    RuleSeed(
        ANY,
        "normal",
        "posting",
        30,
        "calendar_days",
        f"{_LAW}, đăng tải dự thảo",
        False,
        "DOMAIN.md: 20–30 ngày, chưa xác nhận.",
    ),
    RuleSeed(
        "qd_ct_ubnd_tinh",
        "normal",
        "posting",
        10,
        "calendar_days",
        f"{_D187}, quyết định của Chủ tịch UBND cấp tỉnh: ít nhất 10 ngày",
    ),
    RuleSeed(ANY, "simplified", "posting", 5, "calendar_days", f"{_LAW}, Điều 50", False, _UNSURE),
    RuleSeed(
        ANY,
        "normal",
        "consultation_reply",
        10,
        "calendar_days",
        f"{_LAW}, lấy ý kiến",
        False,
        _UNSURE,
    ),
    RuleSeed(
        "qd_ct_ubnd_tinh",
        "normal",
        "consultation_reply",
        7,
        "calendar_days",
        f"{_D187}: cơ quan được lấy ý kiến trả lời trong 07 ngày",
    ),
    RuleSeed(
        ANY,
        "simplified",
        "consultation_reply",
        3,
        "calendar_days",
        f"{_D187}: thủ tục rút gọn, trả lời trong 03 ngày",
    ),
    RuleSeed(
        ANY, ANY, "mttq_criticism", 30, "calendar_days", f"{_LAW}, phản biện xã hội", False, _UNSURE
    ),
    RuleSeed(
        ANY,
        ANY,
        "comment_synthesis",
        10,
        "working_days",
        f"{_LAW}, tổng hợp, giải trình",
        False,
        _UNSURE,
    ),
    RuleSeed(
        ANY,
        "normal",
        "appraisal",
        10,
        "working_days",
        f"{_LAW}, thẩm định",
        False,
        "Luật 80/2015 cũ: 10 ngày; luật mới chưa xác nhận.",
    ),
    RuleSeed(
        ANY,
        "simplified",
        "appraisal",
        7,
        "calendar_days",
        f"{_LAW}, Điều 50: thẩm định trong 07 ngày kể từ khi nhận đủ hồ sơ",
    ),
    RuleSeed(
        ANY,
        ANY,
        "appraisal_intake",
        5,
        "working_days",
        f"{_LAW}, tiếp thu thẩm định",
        False,
        _UNSURE,
    ),
    RuleSeed(ANY, ANY, "ubnd_review", 10, "working_days", f"{_LAW}, UBND xem xét", False, _UNSURE),
    RuleSeed(ANY, "normal", "examination", 10, "working_days", f"{_LAW}, thẩm tra", False, _UNSURE),
    RuleSeed(
        ANY,
        "simplified",
        "examination",
        7,
        "calendar_days",
        f"{_LAW}, Điều 50: thẩm tra trong 07 ngày kể từ khi nhận đủ hồ sơ",
    ),
    RuleSeed(
        ANY,
        ANY,
        "examination_intake",
        5,
        "working_days",
        f"{_LAW}, tiếp thu thẩm tra",
        False,
        _UNSURE,
    ),
    RuleSeed(
        ANY,
        ANY,
        "session_vote",
        30,
        "calendar_days",
        "Theo lịch kỳ họp HĐND",
        False,
        "Phụ thuộc lịch kỳ họp.",
    ),
    RuleSeed(
        ANY,
        ANY,
        "signing",
        5,
        "working_days",
        f"{_LAW}, ký chứng thực, ký ban hành",
        False,
        _UNSURE,
    ),
    RuleSeed(
        ANY,
        ANY,
        "publication",
        3,
        "calendar_days",
        f"{_LAW}: gửi đăng Công báo, Cơ sở dữ liệu quốc gia trong 03 ngày kể từ ngày ký",
    ),
    RuleSeed(
        ANY,
        ANY,
        "implementation_plan",
        30,
        "calendar_days",
        "Nghị định 80/2025/NĐ-CP, tổ chức thi hành",
        False,
        _UNSURE,
    ),
    RuleSeed(
        ANY,
        ANY,
        "implementation_report",
        15,
        "working_days",
        "Nghị định 80/2025/NĐ-CP, báo cáo 6 tháng",
        False,
        _UNSURE,
    ),
    RuleSeed(
        ANY,
        ANY,
        "inspection",
        30,
        "calendar_days",
        "Nghị định 79/2025/NĐ-CP, kiểm tra",
        False,
        _UNSURE,
    ),
    RuleSeed(
        ANY, ANY, "review", 30, "calendar_days", "Nghị định 79/2025/NĐ-CP, rà soát", False, _UNSURE
    ),
)


def seed_rules(session: Session, seeds: Iterable[RuleSeed] = DEFAULT_RULES) -> int:
    """Insert the seeds that are not there yet; returns how many were added."""
    added = 0
    for seed in seeds:
        exists = session.execute(
            select(DeadlineRule.id).where(
                DeadlineRule.document_type == seed.document_type,
                DeadlineRule.procedure == seed.procedure,
                DeadlineRule.step == seed.step,
                DeadlineRule.effective_from == seed.effective_from,
            )
        ).first()
        if exists is None:
            session.add(DeadlineRule(**seed.__dict__))
            added += 1
    session.flush()
    return added


def _specificity(rule: DeadlineRule) -> int:
    return (rule.document_type != ANY) * 2 + (rule.procedure != ANY)


def rules_snapshot(session: Session, document_type: str, as_of: date) -> dict[str, dict[str, Any]]:
    """The rules in force on ``as_of`` for a document type, per procedure and step.

    For each (procedure, step) the most specific row wins (document type before ``*``,
    procedure before ``*``), and among those the one with the latest ``effective_from``.
    """
    rows = session.execute(
        select(DeadlineRule).where(
            DeadlineRule.document_type.in_((document_type, ANY)),
            DeadlineRule.effective_from <= as_of,
        )
    ).scalars()
    best: dict[tuple[str, str], DeadlineRule] = {}
    for rule in rows:
        for procedure in PROCEDURES if rule.procedure == ANY else (rule.procedure,):
            key = (procedure, rule.step)
            current = best.get(key)
            rank = (_specificity(rule), rule.effective_from)
            if current is None or rank > (_specificity(current), current.effective_from):
                best[key] = rule
    snapshot: dict[str, dict[str, Any]] = {procedure: {} for procedure in PROCEDURES}
    for (procedure, step), rule in sorted(best.items()):
        snapshot[procedure][step] = {
            "rule_id": rule.id,
            "amount": rule.amount,
            "unit": rule.unit,
            "basis": rule.legal_basis,
            "confirmed": rule.confirmed,
            "effective_from": rule.effective_from.isoformat(),
        }
    return snapshot


def due_date(calendar: WorkingCalendar, rule: Mapping[str, Any], start: date) -> date:
    """Last day of the period ``rule`` starting from an event on ``start``."""
    if rule["unit"] == "working_days":
        return calendar.add_working_days(start, int(rule["amount"]))
    if rule["unit"] == "calendar_days":
        return calendar.add_calendar_days(start, int(rule["amount"]))
    raise ValueError(f"unknown unit {rule['unit']!r}")


def find_rule(names: Mapping[str, Any], step: str) -> Mapping[str, Any]:
    rules = names.get("deadline_rules")
    if not isinstance(rules, Mapping):
        raise ValueError("this process has no deadline_rules snapshot")
    procedure = names.get("procedure") or "normal"
    rule = (rules.get(procedure) or {}).get(step)
    if rule is None:
        raise ValueError(f"no deadline rule for step '{step}' ({procedure} procedure)")
    return rule


def deadline_functions(calendar: Callable[[], WorkingCalendar]) -> dict[str, Callable[..., Any]]:
    """Functions registered in the safe evaluator (``calendar`` returns the current one)."""

    @contextual
    def deadline(names: Mapping[str, Any], step: str, start: Any = None) -> datetime:
        """End of the last day of ``step``'s statutory period, counted from ``start``/today."""
        begin = _as_date(start) if start is not None else vietnam_date(clock.now())
        return end_of_day(due_date(calendar(), find_rule(names, step), begin))

    def add_working_days(start: Any, days: int) -> date:
        return calendar().add_working_days(_as_date(start), int(days))

    def is_working_day(day: Any) -> bool:
        return calendar().is_working_day(_as_date(day))

    return {
        "deadline": deadline,
        "add_working_days": add_working_days,
        "is_working_day": is_working_day,
    }


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return vietnam_date(clock.as_utc(value))
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        text = value.strip()
        if len(text) == 10:
            return date.fromisoformat(text)
        return vietnam_date(clock.as_utc(datetime.fromisoformat(text)))
    raise ValueError(f"{value!r} is not a date")


def deadline_steps(source: str) -> Iterator[str]:
    """The literal step names of every ``deadline(...)`` call in an expression or script.

    Lint checks them against the rule table; the dashboards read a task's due date with it
    to know which rule limits the step."""
    for mode in ("eval", "exec"):
        try:
            tree = ast.parse(source, mode=mode)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "deadline"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                yield node.args[0].value
        return
