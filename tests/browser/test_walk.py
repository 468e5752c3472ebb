"""One draft of each document type, from /drafts/new to monitoring, through the pages only.

Each step is done in headless Chromium by a person who holds the step's role in its
organisation (see :mod:`tests.browser.walk`), answering forward except where the table below
says otherwise: across the five types every yes/no the law leaves open is answered "No" at
least once, and one dossier is returned for rework and sent again. Time passes on the test
clock when the draft waits (posting period, effective date). ``make test`` walks two of them
(see ``IN_EVERY_RUN``); ``make proof`` walks all five on SQLite and the provincial resolution on
PostgreSQL.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from engine import clock
from tests.browser.live import Browsing, LiveServer
from tests.browser.walk import ARTIFACTS, Plan, Walker

pytestmark = pytest.mark.browser

T0 = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)  # Monday 2 March 2026, 09:00 in Hà Nội
NOT_URGENT = {"urgent_effect": False}  # signed without urgent early effect
RETURN_REASON = "Hồ sơ thiếu dự thảo đã chỉnh lý theo ý kiến góp ý; đề nghị bổ sung."


@dataclass(frozen=True)
class Case:
    title: str
    drafter: str
    lead_agency: str
    number: str  # the number's pattern once signed
    consulted: tuple[str, ...] = ()
    plan: Plan = field(default_factory=dict)


CASES: dict[str, Case] = {
    "nq_hdnd_tinh": Case(
        "Quy định mức thu phí tham quan di tích trên địa bàn tỉnh",
        "cv.sxd",
        "SXD",
        r"01/2026/NQ-HĐND",
        consulted=("STC", "SNV"),
        plan={
            # The Department of Finance does not agree with the draft.
            "Task_cns_reply@STC": {
                "agrees": False,
                "opinion": "Sở Tài chính chưa thống nhất mức thu; đề nghị làm rõ cơ sở tính.",
            },
            # The Fatherland Front disagrees too (also walked by qd_ct_ubnd_tinh, a proof walk).
            "Task_cns_mttq": {
                "mttq_agrees": False,
                "mttq_opinion": "Ủy ban MTTQ tỉnh đề nghị giảm mức thu đối với người cao tuổi.",
            },
            "Task_exm_assign": {"decision": "accept", "examining_committee": "BAN_KTNS"},
            "Task_pub_certify": NOT_URGENT,
        },
    ),
    "qd_ubnd_tinh": Case(
        "Quy định quản lý vật liệu xây dựng trên địa bàn tỉnh",
        "cv.sxd",
        "SXD",
        r"01/2026/QĐ-UBND",
        consulted=("STC",),
        plan={
            # No social criticism by the Fatherland Front is needed for this decision.
            "Task_drf_draft": {"needs_mttq_criticism": False},
            # The appraiser returns the dossier once, then accepts the resent one.
            "Task_apr_check": [
                {"decision": "return", "reason": RETURN_REASON, "missing_items": ["du_thao"]},
                {"decision": "accept"},
            ],
            "Task_pub_sign": NOT_URGENT,
        },
    ),
    "qd_ct_ubnd_tinh": Case(
        "Quy định phân cấp quản lý cây xanh đô thị",
        "cv.sxd",
        "SXD",
        r"01/2026/QĐ-CT",
        plan={
            # The Fatherland Front disagrees in its social criticism.
            "Task_cns_mttq": {
                "mttq_agrees": False,
                "mttq_opinion": "Ủy ban MTTQ đề nghị chưa ban hành, cần lấy thêm ý kiến nhân dân.",
            },
            "Task_pub_sign": NOT_URGENT,
        },
    ),
    "nq_hdnd_xa": Case(
        "Quy định về giữ gìn vệ sinh môi trường trên địa bàn xã",
        "cv.xa",
        "XA_A_VP",
        r"01/2026/NQ-HĐND",
        plan={
            "Task_exm_assign": {"decision": "accept", "examining_committee": "XA_A_BAN"},
            "Task_pub_certify": NOT_URGENT,
        },
    ),
    "qd_ubnd_xa": Case(
        "Quy định quản lý chợ trên địa bàn xã",
        "cv.xa",
        "XA_A_VP",
        r"01/2026/QĐ-UBND",
        plan={
            "Task_drf_draft": {"needs_mttq_criticism": False},
            "Task_pub_sign": NOT_URGENT,
        },
    ),
}

#: Walked by ``make test``: the provincial resolution (the longest path: an agency and the
#: Front say No, the committee picker) on PostgreSQL and the provincial decision (a return and
#: a resend, no Front) on SQLite. Every "No" of the table is among them. The other four walks
#: (the commune types among them) are long proof runs (``make proof``): each walk takes one to
#: two minutes, and all six put the suite over its 15-minute budget.
IN_EVERY_RUN = {("nq_hdnd_tinh", "postgresql"), ("qd_ubnd_tinh", "sqlite")}
WALKS = [
    pytest.param(
        t,
        backend,
        id=f"{t}-{backend}",
        marks=() if (t, backend) in IN_EVERY_RUN else (pytest.mark.proof,),
    )
    for t in CASES
    for backend in ("sqlite", "postgresql")
    if backend == "sqlite" or t == "nq_hdnd_tinh"
]


def _answers(plan: Plan) -> list[dict[str, Any]]:
    return [
        dict(answer)
        for planned in plan.values()
        for answer in ([planned] if isinstance(planned, dict) else planned)
    ]


def test_the_walks_say_no_to_each_open_question_and_return_once() -> None:
    """The table itself: every "No" the law allows, and one return for rework, in the walks
    that every run makes."""
    answers = [a for t, _ in IN_EVERY_RUN for a in _answers(CASES[t].plan)]
    for question in ("agrees", "mttq_agrees", "needs_mttq_criticism", "urgent_effect"):
        assert any(a.get(question) is False for a in answers), f"nobody answers No to {question}"
    assert any(a.get("decision") == "return" and a.get("reason") for a in answers)


@pytest.mark.parametrize(("document_type", "database_url"), WALKS, indirect=["database_url"])
def test_a_draft_walks_its_whole_lifecycle_through_the_pages(
    document_type: str, live_server: LiveServer, browsing: Browsing, tmp_path: Path
) -> None:
    life = live_server.lifecycle
    engine = life.engine
    life.deploy_models("owner")
    case = CASES[document_type]
    label = f"{document_type}-{live_server.backend}"
    shutil.rmtree(ARTIFACTS / label, ignore_errors=True)
    walker = Walker(live_server, browsing, label, tmp_path, plan=case.plan)
    began = time.monotonic()
    with clock.travelling(T0):
        draft = walker.start(
            case.drafter,
            title=case.title,
            document_type=document_type,
            lead_agency=case.lead_agency,
            consulted=case.consulted,
            target_session="Kỳ họp thường lệ giữa năm",
        )
        draft = walker.run(draft)
        seconds = time.monotonic() - began
        print(f"\n{label}: {len(walker.steps)} steps in {seconds:.1f} s; timers: {walker.timers}")
        slowest = sorted(walker.steps, key=lambda s: -s.seconds)[:3]
        print("slowest steps:", [(s.element_id, s.seconds) for s in slowest])

        assert (draft.status, draft.stage) == ("done", "monitoring")
        assert re.fullmatch(case.number, draft.number or ""), draft.number
        assert draft.published_on is not None and draft.signed_on is not None
        assert walker.used == set(case.plan), (
            f"planned steps never met: {set(case.plan) - walker.used}"
        )
        for key, planned in case.plan.items():
            if not isinstance(planned, dict):
                assert walker.visits[key] >= len(planned), f"{key} was visited too few times"

        # The registry shows the new regulation to the person who drafted it.
        page = walker.page_for(case.drafter)
        page.goto("/regulations")
        row = page.locator(f"tr[data-number='{draft.number}']")
        expect(row).to_contain_text(case.title)
        walker.shot(page, "registry")
        page.goto(f"/drafts/{draft.id}")
        expect(page.locator("h1")).to_have_text(case.title)
        walker.shot(page, "draft")

    assert engine.verify_audit(draft.instance_id).ok
    completed = {
        t.id: t.completed_by
        for t in engine.task_history(draft.instance_id)
        if t.state == "completed"
    }
    assert completed == {step.task_id: step.username for step in walker.steps}
    problems = [p for watched in browsing.watches.values() for p in watched.problems]
    assert not problems, problems
    assert len(list(walker.shots.glob("*.png"))) == len(walker.steps) + 3
