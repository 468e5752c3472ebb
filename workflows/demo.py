"""``lexflow demo``: a fictional province with people, drafts in every stage, registry, plan.

Drafts are not written into tables directly: each one is started and walked by the
autopilot through the real processes, acting as the right users with simulated time, so
what the demo shows (timelines, due dates, overdue steps, escalations, numbers, the
registry) is what the engine and the rules produce.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select

from engine import InvalidData, clock
from engine.authorization import SYSTEM
from engine.task_queries import TaskInfo
from workflows import accounts, demo_plan
from workflows import demo_province as province
from workflows.autopilot import Autopilot
from workflows.calendar import vietnam_date
from workflows.deadlines import seed_rules
from workflows.directory import Organisation, User
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.registry import (
    Regulation,
    impact_summary,
    last_complete_half_year,
    record_impact,
    register,
)
from workflows.roles import STAGE_CODES

DEFAULT_PASSWORD = "lexflow-demo-2026"  # noqa: S105 - printed for the demo users
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
    calendar = lifecycle.calendar()
    today = vietnam_date(now)
    if scenario in OVERDUE:
        target = demo_plan.behind_target(scenario.document_type, today, calendar)
    else:
        target = demo_plan.on_track_target(scenario.document_type, today, calendar)
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
            plan_year=target.day.year,
            target_session=target.name,
            target_date=target.day,
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
    period = last_complete_half_year(today)
    with lifecycle.db.write() as session:
        existing = list(
            session.execute(select(Regulation).where(Regulation.status == "in_force")).scalars()
        )
        wanted = dict(REGISTRY)
        for regulation in existing:  # the demo's own new regulations: too new to judge
            kind = "not_yet" if wanted["not_yet"] > 0 else "clear"
            wanted[kind] -= 1
            record_impact(
                session, regulation.id, kind, "system", period=period, note="Văn bản mới ban hành"
            )
        sequence = 0
        for kind, count in wanted.items():
            for _ in range(count):
                sequence += 1
                # Signed over the last five years, in force well before the load day.
                signed = today - timedelta(days=45 + 11 * sequence)
                year = signed.year
                document_type = "nq_hdnd_tinh" if sequence % 3 else "qd_ubnd_tinh"
                suffix = "NQ-HĐND" if document_type == "nq_hdnd_tinh" else "QĐ-UBND"
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
                    period=period,
                    note="Báo cáo 6 tháng",
                )


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
    with lifecycle.db.write() as session:
        plan = demo_plan.lay_out_plan(session, drafts, now, lifecycle.calendar())
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
        f"  annual plan {plan.year}: {plan.behind} items behind ({plan.items} items in the plans)",
        "",
        f"Sign in with any of these users; the password of every demo user is: {password}",
        f"  {'USERNAME':<14} {'NAME':<28} ROLES",
    ]
    for person in province.USERS:
        roles = ", ".join(f"{role}@{org}" for role, org in person.grants)
        lines.append(f"  {person.username:<14} {person.full_name:<28} {roles}")
    return lines
