"""The drafts list and the new-draft form, the regulations registry, the annual plan."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine import clock
from tests.conftest import DATA
from tests.support.web import csrf_token, post_form, signed_in
from web.views.draft_list import GROUND_LABELS
from workflows import registry
from workflows.calendar import vietnam_date
from workflows.drafts import Draft
from workflows.lifecycle import GROUNDS
from workflows.plan import PlanItem


def add_draft(session: Any, code: str, title: str, **fields: Any) -> Draft:
    now = clock.now()
    values: dict[str, Any] = {
        "document_type": "qd_ubnd_tinh",
        "issuing_body": "UBND_T",
        "lead_agency": "SXD",
        "plan_year": 2026,
        "stage": "drafting",
        "status": "active",
        "rules_as_of": date(2026, 1, 5),
        "created_by": "cv.sxd",
        "created_at": now,
        "updated_at": now,
        **fields,
    }
    draft = Draft(code=code, title=title, **values)
    session.add(draft)
    session.flush()
    return draft


def codes(page: Any) -> list[str]:
    return re.findall(r'data-draft-code="([^"]+)"', page.get_data(as_text=True))


def draft_count(lifecycle: Any) -> int:
    with lifecycle.db.read() as session:
        return session.scalar(select(func.count()).select_from(Draft))


@pytest.fixture
def drafts(lifecycle: Any) -> None:
    with lifecycle.db.write() as session:
        add_draft(session, "DT-2026-001", "Quy định chiều cao công trình", stage="drafting")
        add_draft(
            session,
            "DT-2026-002",
            "Quy định phí thẩm định dự án",
            lead_agency="STC",
            stage="appraisal",
            document_type="nq_hdnd_tinh",
            issuing_body="HDND_T",
        )
        add_draft(
            session, "DT-2025-001", "Quy định cấp phép xây dựng", plan_year=2025, status="done"
        )
        add_draft(
            session,
            "DT-2026-003",
            "Quy định vỉa hè",
            stage="dropped",
            status="dropped",
            document_type="qd_ubnd_xa",
            issuing_body="XA_A_UBND",
            lead_agency="XA_A_VP",
        )


# Drafts ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/drafts", "/drafts/new", "/regulations", "/regulations/1", "/plan"]
)
def test_pages_need_sign_in(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_creating_a_draft_needs_sign_in_too(client: FlaskClient) -> None:
    token = csrf_token(client, "/login")
    response = client.post("/drafts/new", data={"csrf_token": token, "title": "Không đăng nhập"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_drafters_see_their_organisations_drafts_readers_see_all(app: Flask, drafts: None) -> None:
    assert sorted(codes(signed_in(app, "cv.sxd").get("/drafts"))) == [
        "DT-2025-001",
        "DT-2026-001",
    ]
    assert codes(signed_in(app, "cv.stc").get("/drafts")) == ["DT-2026-002"]
    assert codes(signed_in(app, "cv.snv").get("/drafts")) == []
    inspector = signed_in(app, "kt.stp").get("/drafts")
    assert inspector.status_code == 200
    assert len(codes(inspector)) == 4


DRAFT_FILTERS = {
    "q=chi%E1%BB%81u+cao": ["DT-2026-001"],  # "chiều cao", in the title
    "q=dt-2025": ["DT-2025-001"],  # the code, any case
    "document_type=nq_hdnd_tinh": ["DT-2026-002"],
    "stage=appraisal": ["DT-2026-002"],
    "status=dropped": ["DT-2026-003"],
    "lead_agency=XA_A_VP": ["DT-2026-003"],
    "plan_year=2025": ["DT-2025-001"],
    "plan_year=2026&status=active": ["DT-2026-001", "DT-2026-002"],
}
BAD_DRAFT_FILTERS = ["document_type=nope", "stage=nope", "status=nope", "plan_year=x", "page=0"]


def test_draft_filters_and_search(app: Flask, drafts: None) -> None:
    client = signed_in(app, "admin")
    found = {query: sorted(codes(client.get(f"/drafts?{query}"))) for query in DRAFT_FILTERS}
    assert found == DRAFT_FILTERS
    bad = {query: client.get(f"/drafts?{query}").status_code for query in BAD_DRAFT_FILTERS}
    assert bad == dict.fromkeys(BAD_DRAFT_FILTERS, 400)


def test_draft_list_pages_and_htmx_rows(app: Flask, drafts: None) -> None:
    app.config["PAGE_SIZE"] = 3
    client = signed_in(app, "admin")
    first, second = client.get("/drafts"), client.get("/drafts?page=2")
    assert len(codes(first)) == 3 and len(codes(second)) == 1
    assert set(codes(first)).isdisjoint(codes(second))
    assert "page=2" in first.get_data(as_text=True)
    rows = client.get("/drafts?stage=appraisal", headers={"HX-Request": "true"})
    assert codes(rows) == ["DT-2026-002"]
    assert "<html" not in rows.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/inbox?tab=offered", "/drafts?page=1", "/regulations"])
def test_the_back_button_gets_whole_pages(app: Flask, path: str) -> None:
    """htmx pushes list URLs into the history; restoring one asks the server again with
    HX-Request *and* HX-History-Restore-Request, and needs the whole page, not the rows."""
    client = signed_in(app, "admin")
    rows = client.get(path, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<html" not in rows
    restored = client.get(
        path, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    ).get_data(as_text=True)
    assert "<html" in restored and "</nav>" in restored


def test_only_drafters_and_heads_open_the_new_draft_form(app: Flask) -> None:
    assert signed_in(app, "tdv.stp").get("/drafts/new").status_code == 403
    assert signed_in(app, "kt.stp").get("/drafts/new").status_code == 403
    page = signed_in(app, "cv.sxd").get("/drafts/new")
    assert page.status_code == 200
    lead_options = re.search(r'name="lead_agency".*?</select>', page.get_data(as_text=True), re.S)
    assert lead_options is not None
    assert re.findall(r'value="([^"]+)"', lead_options.group(0)) == ["SXD"]
    assert signed_in(app, "gd.sxd").get("/drafts/new").status_code == 200


@pytest.fixture
def deployed(lifecycle: Any) -> None:
    """A tiny process for the provincial People's Committee decision (the real ones are big)."""
    model = (DATA / "web_qd_ubnd_tinh.bpmn").read_bytes()
    lifecycle.engine.deploy({"web_qd_ubnd_tinh.bpmn": model}, "owner")


FORM = {
    "title": "Quy định quản lý trật tự xây dựng",
    "document_type": "qd_ubnd_tinh",
    "lead_agency": "SXD",
    "plan_year": "2026",
    "target_session": "Phiên họp UBND tháng 9",
    "target_date": "2026-09-15",
    "ground": "urgent_practical_issue",
    "legal_basis": "Luật Xây dựng",
    "summary": "Tóm tắt",
    "consulted_agencies": ["STC", "SNV"],
}


def test_a_drafter_creates_a_draft_and_its_process_starts(
    app: Flask, lifecycle: Any, deployed: None
) -> None:
    client = signed_in(app, "cv.sxd")
    response = post_form(client, "/drafts/new", FORM, token_from="/drafts/new")
    assert response.status_code == 302
    with lifecycle.db.read() as session:
        draft = session.execute(select(Draft)).scalar_one()
    assert (draft.title, draft.lead_agency, draft.ground) == (
        FORM["title"],
        "SXD",
        "urgent_practical_issue",
    )
    assert draft.target_date == date(2026, 9, 15) and draft.created_by == "cv.sxd"
    assert draft.instance_id is not None and draft.stage == "drafting"
    data = lifecycle.engine.instance_data(draft.instance_id)
    assert data["consulted_agencies"] == ["STC", "SNV"]
    listing = client.get(response.headers["Location"])
    assert draft.code in listing.get_data(as_text=True)


@pytest.mark.parametrize(
    ("changes", "status", "message"),
    [
        ({"title": "Ngắn"}, 422, "5 to 500"),
        ({"target_date": "31/02/2026"}, 422, "target date"),
        ({"plan_year": "hai nghìn"}, 422, "plan year"),
        ({"ground": "no-such-ground"}, 422, "Art. 50"),
        ({"consulted_agencies": ["NOPE"]}, 422, "NOPE"),
        ({"plan_item": "99999999999999999999"}, 422, "plan item does not exist"),
        ({"lead_agency": "STC"}, 403, "STC"),
        ({"document_type": "nq_hdnd_tinh"}, 422, "nq_hdnd_tinh"),  # no such process deployed
    ],
)
def test_bad_draft_forms_are_refused_and_store_nothing(
    app: Flask,
    lifecycle: Any,
    deployed: None,
    changes: dict,
    status: int,
    message: str,
) -> None:
    client = signed_in(app, "cv.sxd")
    response = post_form(client, "/drafts/new", {**FORM, **changes}, token_from="/drafts/new")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    assert message in page
    assert 'name="csrf_token"' in page  # the form is shown again with what was entered
    assert draft_count(lifecycle) == 0


def test_every_ground_of_the_simplified_procedure_has_a_label() -> None:
    assert set(GROUND_LABELS) == set(GROUNDS)


def test_the_new_draft_form_needs_a_csrf_token(app: Flask, lifecycle: Any, deployed: None) -> None:
    response = signed_in(app, "cv.sxd").post("/drafts/new", data=FORM)
    assert response.status_code == 400
    assert draft_count(lifecycle) == 0


# Annual plan --------------------------------------------------------------------------------------
def add_item(session: Any, title: str, **fields: Any) -> PlanItem:
    item = PlanItem(
        year=fields.pop("year", 2026),
        title=title,
        document_type=fields.pop("document_type", "qd_ubnd_tinh"),
        lead_agency=fields.pop("lead_agency", "SXD"),
        created_by="admin",
        created_at=clock.now(),
        **fields,
    )
    session.add(item)
    session.flush()
    return item


@pytest.fixture
def plan(lifecycle: Any, tricky_now: datetime) -> dict[str, int]:
    """A plan of the current year with one item in each state, as of a tricky day."""
    today = vietnam_date(tricky_now)
    year = today.year
    with lifecycle.db.write() as session:
        late = add_item(
            session, "Chưa soạn, sắp họp", year=year, target_date=today + timedelta(days=10)
        )
        waiting = add_item(
            session, "Chưa soạn, còn xa", year=year, target_date=today + timedelta(days=300)
        )
        running = add_item(session, "Đang soạn", year=year, target_date=today + timedelta(days=90))
        finished = add_item(session, "Đã ban hành", year=year, lead_agency="STC")
        stopped = add_item(session, "Đã dừng", year=year)
        add_item(session, "Năm sau", year=year + 1)
        add_draft(session, "DT-2026-101", "Đang soạn", plan_item_id=running.id)
        add_draft(
            session,
            "DT-2026-102",
            "Đã ban hành",
            plan_item_id=finished.id,
            status="done",
            lead_agency="STC",
        )
        add_draft(session, "DT-2026-103", "Đã dừng", plan_item_id=stopped.id, status="dropped")
        return {
            "behind": late.id,
            "not_started": waiting.id,
            "on_track": running.id,
            "done": finished.id,
            "dropped": stopped.id,
        }


def states(page: Any) -> dict[str, str]:
    return dict(
        re.findall(r'data-plan-item="(\d+)" data-state="([a-z_]+)"', page.get_data(as_text=True))
    )


def test_the_plan_shows_each_item_state_with_counts(
    app: Flask, plan: dict[str, int], tricky_now: datetime
) -> None:
    year = vietnam_date(tricky_now).year
    client = signed_in(app, "cv.stc")
    page = client.get("/plan")  # the current year's plan by default
    assert page.status_code == 200
    assert states(page) == {str(item): state for state, item in plan.items()}
    text = page.get_data(as_text=True)
    for state in plan:
        assert re.search(rf'data-state="{state}">\s*[^<]+<span class="count">1</span>', text)
    assert "drafting has not started" in text
    # A drafter of STC sees the code of STC's draft but not SXD's.
    assert "DT-2026-102" in text and "DT-2026-101" not in text
    behind = client.get(f"/plan?year={year}&state=behind")
    assert list(states(behind).values()) == ["behind"]
    assert list(states(client.get(f"/plan?year={year}&q=c%C3%B2n+xa"))) == [
        str(plan["not_started"])
    ]
    assert len(states(client.get(f"/plan?year={year}&lead_agency=STC"))) == 1
    assert [*states(client.get(f"/plan?year={year + 1}")).values()] == ["not_started"]


def test_bad_plan_filters_are_400(app: Flask) -> None:
    client = signed_in(app, "cv.sxd")
    queries = ["year=abc", "year=1900", "state=late", "page=x", "document_type=x"]
    assert {q: client.get(f"/plan?{q}").status_code for q in queries} == dict.fromkeys(queries, 400)


def test_a_plan_item_starts_its_draft(
    app: Flask, lifecycle: Any, deployed: None, plan: dict[str, int]
) -> None:
    client = signed_in(app, "cv.sxd")
    page = client.get("/plan").get_data(as_text=True)
    assert f"/drafts/new?plan_item={plan['behind']}" in page
    form = {**FORM, "plan_item": str(plan["behind"])}
    response = post_form(client, "/drafts/new", form, token_from="/drafts/new")
    assert response.status_code == 302
    assert states(client.get("/plan"))[str(plan["behind"])] == "on_track"
    again = post_form(client, "/drafts/new", form, token_from="/drafts/new")
    assert again.status_code == 422 and "already been started" in again.get_data(as_text=True)


# Regulations --------------------------------------------------------------------------------------
@pytest.fixture
def regulations(lifecycle: Any) -> dict[str, int]:
    with lifecycle.db.write() as session:
        source = add_draft(session, "DT-2025-050", "Quy định phí", status="done", stage="done")

        def reg(number: str, title: str, document_type: str, **kw: Any) -> int:
            return registry.register(
                session,
                number=number,
                title=title,
                document_type=document_type,
                issuing_body="UBND_T" if document_type.startswith("qd") else "HDND_T",
                lead_agency=kw.pop("lead_agency", "SXD"),
                signed_on=date(2025, 5, 1),
                effective_on=date(2025, 5, 15),
                **kw,
            ).id

        ids = {
            "fee": reg(
                "01/2025/QĐ-UBND", "Quy định phí xây dựng", "qd_ubnd_tinh", draft_id=source.id
            ),
            "school": reg("02/2025/NQ-HĐND", "Chính sách trường học", "nq_hdnd_tinh"),
            "road": reg("03/2025/NQ-HĐND", "Quy định đường giao thông", "nq_hdnd_tinh"),
            "old": reg("04/2024/QĐ-UBND", "Quy định cũ", "qd_ubnd_tinh"),
        }
        session.get(registry.Regulation, ids["old"]).status = "replaced"
        registry.record_impact(session, ids["fee"], "unclear", "kt.stp", period="2025-H2")
        registry.record_impact(session, ids["fee"], "clear", "kt.stp", period="2026-H1", note="Tốt")
        registry.record_impact(session, ids["school"], "not_yet", "kt.stp")
        registry.link(session, ids["fee"], ids["old"], "replaces")
        return ids


def numbers(page: Any) -> list[str]:
    return sorted(re.findall(r'data-number="([^"]+)"', page.get_data(as_text=True)))


def test_the_registry_summary_counts_the_regulations_in_force(
    app: Flask, regulations: dict[str, int]
) -> None:
    page = signed_in(app, "cv.snv").get("/regulations")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    counts = dict(re.findall(r'data-count="([a-z_]+)">(?:<a [^>]+>)?(\d+)', text))
    assert counts == {
        "in_force": "3",
        "clear": "1",
        "unclear": "0",
        "not_yet": "1",
        "unassessed": "1",
    }
    assert len(numbers(page)) == 4


REGISTRY_FILTERS = {
    "q=tr%C6%B0%E1%BB%9Dng+h%E1%BB%8Dc": ["02/2025/NQ-HĐND"],  # "trường học"
    "q=04%2F2024": ["04/2024/QĐ-UBND"],
    "document_type=nq_hdnd_tinh": ["02/2025/NQ-HĐND", "03/2025/NQ-HĐND"],
    "status=replaced": ["04/2024/QĐ-UBND"],
    "impact=clear": ["01/2025/QĐ-UBND"],
    "impact=not_yet&document_type=nq_hdnd_tinh": ["02/2025/NQ-HĐND"],
}
BAD_REGISTRY_FILTERS = ["status=nope", "impact=nope", "document_type=x", "page=-1", "page=x"]


def test_registry_filters(app: Flask, regulations: dict[str, int]) -> None:
    client = signed_in(app, "cv.snv")
    found = {query: numbers(client.get(f"/regulations?{query}")) for query in REGISTRY_FILTERS}
    assert found == REGISTRY_FILTERS
    bad = {query: client.get(f"/regulations?{query}").status_code for query in BAD_REGISTRY_FILTERS}
    assert bad == dict.fromkeys(BAD_REGISTRY_FILTERS, 400)


def test_registry_pages(app: Flask, regulations: dict[str, int]) -> None:
    app.config["PAGE_SIZE"] = 3
    client = signed_in(app, "cv.snv")
    assert len(numbers(client.get("/regulations"))) == 3
    assert len(numbers(client.get("/regulations?page=2"))) == 1


def test_a_regulation_page_shows_facts_links_and_impact_history(
    app: Flask, regulations: dict[str, int]
) -> None:
    client = signed_in(app, "cv.sxd")
    page = client.get(f"/regulations/{regulations['fee']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "01/2025/QĐ-UBND" in text and "01/05/2025" in text and "15/05/2025" in text
    assert "Replaces" in text and "04/2024/QĐ-UBND" in text
    assert text.index("Clear effect") < text.index("Unclear effect")  # newest first
    assert "DT-2025-050" in text  # the source draft, visible to its lead agency
    other = client.get(f"/regulations/{regulations['old']}").get_data(as_text=True)
    assert "Replaced by" in other and "01/2025/QĐ-UBND" in other
    stranger = signed_in(app, "cv.snv").get(f"/regulations/{regulations['fee']}")
    assert "DT-2025-050" not in stranger.get_data(as_text=True)
    assert client.get("/regulations/999999").status_code == 404
    assert client.get("/regulations/99999999999999999999").status_code == 404
