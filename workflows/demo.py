"""``lexflow demo``: a fictional province with people, drafts in every stage, registry, plan.

Drafts are not written into tables directly: each one is started and walked by the
autopilot through the real processes, acting as the right users with simulated time, so
what the demo shows (timelines, due dates, overdue steps, escalations, numbers, the
registry) is what the engine and the rules produce.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from engine import InvalidData, clock
from engine.authorization import SYSTEM
from engine.models import HumanTask
from engine.task_queries import TaskInfo
from workflows import accounts
from workflows import demo_province as province
from workflows.autopilot import Autopilot
from workflows.calendar import vietnam_date
from workflows.deadlines import seed_rules
from workflows.directory import Organisation, User
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.plan import PlanItem, plan_status
from workflows.registry import Regulation, impact_summary, record_impact, register
from workflows.roles import STAGE_CODES

DEFAULT_PASSWORD = "lexflow-demo-2026"  # noqa: S105 - printed for the demo users
BEHIND_TARGET = 8
REGISTRY = {"clear": 164, "unclear": 6, "not_yet": 1}

TITLES = {
    "nq_hdnd_tinh": [
        "Quy định mức thu phí tham quan di tích lịch sử trên địa bàn tỉnh",
        "Chính sách hỗ trợ phát triển hợp tác xã nông nghiệp",
        "Quy định mức chi bảo đảm công tác cải cách hành chính",
        "Danh mục dự án cần thu hồi đất năm 2027",
        "Quy định mức hỗ trợ học sinh vùng khó khăn",
        "Chính sách thu hút bác sĩ về công tác tại tuyến xã",
        "Quy định phân cấp nguồn thu, nhiệm vụ chi ngân sách",
        "Quy định mức thu học phí cơ sở giáo dục công lập",
        "Chính sách hỗ trợ chuyển đổi số trong doanh nghiệp nhỏ",
    ],
    "qd_ubnd_tinh": [
        "Quy định quản lý vật liệu xây dựng trên địa bàn tỉnh",
        "Quy chế phối hợp quản lý cụm công nghiệp",
        "Quy định bảng giá đất điều chỉnh năm 2026",
        "Quy định về quản lý chất thải rắn sinh hoạt",
        "Quy định định mức sử dụng xe ô tô chuyên dùng",
        "Quy chế quản lý kiến trúc đô thị",
        "Quy định hạn mức giao đất ở tại nông thôn",
    ],
    "qd_ct_ubnd_tinh": [
        "Quy chế làm việc của Ban Chỉ đạo chuyển đổi số tỉnh",
        "Quy định về tiếp nhận, xử lý phản ánh, kiến nghị",
        "Quy chế phát ngôn và cung cấp thông tin cho báo chí",
        "Quy định về ứng phó khẩn cấp với bão lũ",
        "Quy chế tổ chức hội nghị trực tuyến",
        "Quy định quản lý tài liệu lưu trữ điện tử",
    ],
    "nq_hdnd_xa": [
        "Quy định mức hỗ trợ thành viên tổ an ninh cơ sở",
        "Chính sách hỗ trợ giống cây trồng vụ đông",
        "Quy định mức chi tiếp khách của xã",
        "Quy định hỗ trợ người có uy tín trong cộng đồng",
        "Kế hoạch đầu tư công trung hạn của xã",
        "Quy định mức thu phí chợ xã",
    ],
    "qd_ubnd_xa": [
        "Quy chế quản lý nghĩa trang nhân dân xã",
        "Quy định bảo vệ môi trường khu dân cư",
        "Quy chế hoạt động của tổ hòa giải ở cơ sở",
        "Quy định quản lý bến đò ngang",
        "Quy định sử dụng nhà văn hóa thôn",
        "Quy định quản lý chợ tạm",
    ],
}


@dataclass(frozen=True)
class Scenario:
    document_type: str
    stage: str  # stop when the draft reaches this stage ("monitoring": walk to the end)
    days_ago: int  # when the draft started
    ground: str = "none"


# Where each demo draft stops: a stage, or (leading "_") the step whose id ends so, so that
# every role has work waiting when it signs in. The number is how many days ago it started.
PATHS = {
    "nq_hdnd_tinh": [("plan", 2), ("_drf_approve", 9), ("_cns_reply", 14), ("_cns_mttq", 16),
                     ("_apr_check", 48), ("_apr_appraise", 52), ("ubnd_review", 58),
                     ("_exm_examine", 66), ("_adp_vote", 72), ("_pub_certify", 78),
                     ("publication", 92), ("monitoring", 170)],
    "qd_ubnd_tinh": [("plan", 3), ("drafting", 9), ("consultation", 15), ("appraisal", 50),
                     ("_ubr_record", 62), ("_pub_sign", 68), ("publication", 84),
                     ("monitoring", 160)],
    "qd_ct_ubnd_tinh": [("plan", 2), ("drafting", 6), ("consultation", 12),
                        ("_apr_appraise", 34), ("signing", 42), ("monitoring", 140)],
    "nq_hdnd_xa": [("plan", 1), ("drafting", 7), ("consultation", 13), ("_apr_check", 50),
                   ("_exm_examine", 62), ("monitoring", 170)],
    "qd_ubnd_xa": [("plan", 4), ("drafting", 8), ("consultation", 16), ("appraisal", 48),
                   ("_ubr_prepare", 56), ("monitoring", 150)],
}  # fmt: skip
#: Drafts started long ago that are stuck at a step: their open step is past its deadline.
OVERDUE = [
    Scenario("nq_hdnd_tinh", "appraisal", 95),
    Scenario("qd_ubnd_tinh", "drafting", 85),
    Scenario("qd_ct_ubnd_tinh", "consultation", 40, ground="emergency"),
    Scenario("qd_ubnd_xa", "appraisal", 90),
]


def _lead(document_type: str, index: int, commune: str | None) -> str:
    if commune:
        return f"VP_{commune}" if index % 2 == 0 else f"PKT_{commune}"
    departments = ["SXD", "STC", "SNNMT", "SYT", "SGDDT", "SNV", "SKHCN", "STP"]
    return departments[index % len(departments)]


def _seed_people(lifecycle: Lifecycle, password: str) -> None:
    hashed = accounts.hash_password(password)
    with lifecycle.db.write() as session:
        for org in province.ORGANISATIONS:
            session.add(
                Organisation(
                    code=org.code,
                    name_vi=org.name_vi,
                    name_en=org.name_en,
                    kind=org.kind,
                    parent_code=org.parent_code,
                    active=True,
                )
            )
        session.flush()
        for person in province.USERS:
            user = accounts.create_user(
                session,
                person.username,
                person.full_name,
                None,
                [(r, o) for r, o in person.grants if o],
            )
            user.password_hash = hashed
        seed_rules(session)


def _until(stage: str):
    """Stop at ``stage`` (or later: ``done``/``dropped`` come last), or at a step (``_...``)."""

    def reached(draft: Draft, tasks: list[TaskInfo]) -> bool:
        if stage == "monitoring":
            return False
        if stage.startswith("_"):
            return any(task.element_id.endswith(stage) for task in tasks)
        return STAGE_CODES.index(draft.stage) >= STAGE_CODES.index(stage)

    return reached


def _walk(lifecycle: Lifecycle, scenario: Scenario, index: int, now: datetime) -> Draft:
    commune = None
    if scenario.document_type.endswith("_xa"):
        commune = list(province.COMMUNES)[index % len(province.COMMUNES)]
    start = now - timedelta(days=scenario.days_ago)
    lead = _lead(scenario.document_type, index, commune)
    titles = TITLES[scenario.document_type]
    title = titles[index % len(titles)]
    consulted = [] if commune else [c for c in ("STC", "STP", "SNV") if c != lead][:2]
    with clock.frozen_at(start), lifecycle.db.write() as session:
        draft = lifecycle.start_draft(
            session,
            SYSTEM,
            title=title,
            document_type=scenario.document_type,
            lead_agency=lead,
            commune=f"XA_{commune}" if commune else None,
            ground=scenario.ground,
            consulted_agencies=consulted,
            target_session="Kỳ họp thường lệ giữa năm"
            if scenario.document_type.startswith("nq")
            else None,
            legal_basis="Luật Ban hành văn bản quy phạm pháp luật số 64/2025/QH15",
        )
        session.flush()
    pilot = Autopilot(lifecycle, now=start + timedelta(hours=1), pace=timedelta(days=1))
    stop = _until(scenario.stage)

    def reached_or_now(candidate: Draft, tasks: list[TaskInfo]) -> bool:
        return stop(candidate, tasks) or (pilot.now is not None and pilot.now >= now)

    return pilot.run(draft, until=reached_or_now)


def _registry(lifecycle: Lifecycle, now: datetime) -> None:
    """Bring the registry to 171 in force: 164 clear, 6 unclear, 1 not yet (the seeds)."""
    today = vietnam_date(now)
    with lifecycle.db.write() as session:
        existing = list(
            session.execute(select(Regulation).where(Regulation.status == "in_force")).scalars()
        )
        wanted = dict(REGISTRY)
        for regulation in existing:  # the demo's own new regulations: too new to judge
            kind = "not_yet" if wanted["not_yet"] > 0 else "clear"
            wanted[kind] -= 1
            record_impact(session, regulation.id, kind, "system", note="Văn bản mới ban hành")
        sequence = 0
        for kind, count in wanted.items():
            for _ in range(count):
                sequence += 1
                year = 2021 + sequence % 5
                document_type = "nq_hdnd_tinh" if sequence % 3 else "qd_ubnd_tinh"
                suffix = "NQ-HĐND" if document_type == "nq_hdnd_tinh" else "QĐ-UBND"
                signed = date(year, 1 + sequence % 12, 1 + sequence % 27)
                regulation = register(
                    session,
                    number=f"{100 + sequence}/{year}/{suffix}",
                    title=f"Văn bản quy phạm pháp luật số {sequence} của tỉnh Trà Giang",
                    document_type=document_type,
                    issuing_body="HDND_TINH" if document_type == "nq_hdnd_tinh" else "UBND_TINH",
                    lead_agency=["STC", "SXD", "SNNMT", "SYT", "SGDDT"][sequence % 5],
                    signed_on=signed,
                    published_on=signed + timedelta(days=2),
                    effective_on=signed + timedelta(days=15),
                )
                record_impact(
                    session,
                    regulation.id,
                    kind,
                    "system",
                    period=f"{today.year - 1}-H2",
                    note="Báo cáo 6 tháng",
                )


def _plan(lifecycle: Lifecycle, drafts: list[Draft], now: datetime) -> int:
    """Annual plan with exactly 8 items behind (the seeds' figure).

    Drafts become plan items; an overdue draft beyond the eighth stays outside the plan (work
    that arose during the year); if fewer than 8 are overdue, planned items whose drafting
    should already have started fill the gap.
    """
    today = vietnam_date(now)
    with lifecycle.db.write() as session:
        overdue = set(
            session.execute(
                select(HumanTask.instance_id).where(
                    HumanTask.state.in_(("open", "claimed")), HumanTask.due_at < now
                )
            ).scalars()
        )
        behind = 0
        for draft in drafts:
            late = draft.instance_id in overdue and draft.status == "active"
            if late and behind >= BEHIND_TARGET:
                continue
            behind += late
            item = PlanItem(
                year=today.year,
                title=draft.title,
                document_type=draft.document_type,
                lead_agency=draft.lead_agency,
                target_session=draft.target_session,
                target_date=today + timedelta(days=120),
                origin="plan",
                created_by="system",
                created_at=now,
            )
            session.add(item)
            session.flush()
            row = session.get(Draft, draft.id)
            assert row is not None  # noqa: S101
            row.plan_item_id = item.id
        for number in range(BEHIND_TARGET - behind):
            session.add(
                PlanItem(
                    year=today.year,
                    title=f"Văn bản theo kế hoạch chưa khởi động số {number + 1}",
                    document_type="qd_ubnd_tinh",
                    lead_agency=["SYT", "SGDDT", "SNV"][number % 3],
                    target_session=None,
                    target_date=today + timedelta(days=20 + number),
                    origin="arising" if number % 2 else "plan",
                    created_by="system",
                    created_at=now,
                )
            )
        for number in range(3):  # planned for later in the year: not started, on time
            session.add(
                PlanItem(
                    year=today.year,
                    title=f"Văn bản dự kiến quý IV số {number + 1}",
                    document_type="nq_hdnd_tinh",
                    lead_agency="STC",
                    target_session="Kỳ họp cuối năm",
                    target_date=today + timedelta(days=200),
                    origin="plan",
                    created_by="system",
                    created_at=now,
                )
            )
        session.flush()
        return sum(1 for s in plan_status(session, today.year, today) if s.state == "behind")


def load_demo(
    lifecycle: Lifecycle,
    *,
    if_empty: bool = False,
    password: str | None = None,
    now: datetime | None = None,
) -> list[str]:
    """Load the demo; returns the lines to print (who can sign in, what was made)."""
    now = now or clock.now()
    with lifecycle.db.read() as session:
        users = session.execute(select(func.count()).select_from(User)).scalar_one()
    if users:
        if if_empty:
            return ["The database already has users: the demo is not loaded again."]
        raise InvalidData(
            "the database already has users; load the demo into an empty database "
            "(or pass --if-empty to skip)"
        )
    password = password or DEFAULT_PASSWORD
    _seed_people(lifecycle, password)
    lifecycle.deploy_models("system", "Demo: bundled models")
    drafts: list[Draft] = []
    index = 0
    for document_type, stages in PATHS.items():
        for stage, days_ago in stages:
            drafts.append(_walk(lifecycle, Scenario(document_type, stage, days_ago), index, now))
            index += 1
    for scenario in OVERDUE:
        drafts.append(_walk(lifecycle, scenario, index, now))
        index += 1
    run = lifecycle.engine.fire_due_timers(now)  # escalations for what is overdue today
    _registry(lifecycle, now)
    behind = _plan(lifecycle, drafts, now)
    with lifecycle.db.read() as session:
        summary = impact_summary(session)
        stages = dict(
            session.execute(select(Draft.stage, func.count()).group_by(Draft.stage)).all()
        )
    lines = [
        "Lexflow demo: tỉnh Trà Giang (fictional)",
        f"  {len(drafts)} drafts by stage: "
        + ", ".join(f"{stage} {count}" for stage, count in sorted(stages.items())),
        f"  timers fired now: {len(run.fired)} instance(s) (escalations of overdue steps)",
        f"  registry: {summary.in_force} in force — {summary.clear} clear, {summary.unclear} "
        f"unclear, {summary.not_yet} not yet",
        f"  annual plan: {behind} items behind",
        "",
        f"Sign in with any of these users; the password of every demo user is: {password}",
        f"  {'USERNAME':<14} {'NAME':<28} ROLES",
    ]
    for person in province.USERS:
        roles = ", ".join(f"{role}@{org}" for role, org in person.grants)
        lines.append(f"  {person.username:<14} {person.full_name:<28} {roles}")
    return lines
