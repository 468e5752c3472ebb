"""The authorization matrix: every route of the app × every kind of civil servant.

One table, :data:`MATRIX`, says for each route (pages and ``/api/v1``) what each role gets:
200/201/302 when allowed, 403 when the action is forbidden, 404 when the thing is one the
role may not see (pages and API hide its existence), the sign-in page (``LOGIN``) for an
anonymous visitor of a page and 401 for an anonymous API caller; lists must name only what
the role may see (``hides``/``finds``). The roles are those of
:data:`tests.support.authz.ROLE_USERS`; ``commune_chair`` is there because it holds a reader
role (``ubnd_chair``) in a commune. One test case is generated per row and role;
:func:`test_every_route_is_in_the_matrix` fails when a route is added without a row. A case
the application gets wrong keeps the right status and names the hole (``Row.holes``): it is
a strict ``xfail``, so fixing the hole makes it fail until the mark is removed.

The world (:mod:`tests.support.authz`) is built once per backend and shared by all cases, so
a row must not change what another case sees: reads are free; writes are additive (a new
draft, comment, upload or token) or leave things as they were (re-deploying unchanged
models, activating an active account); a row whose allowed roles should get 422/400
(``PROBE``) sends a deliberately invalid body and proves only that the role got past
authorization; and claims, releases, delegations and completions use ``{new_*}`` tasks made
for that one case. Page writes carry a valid CSRF token and API calls a bearer token (API
responses are also checked against the OpenAPI document), so only authorization decides.
"""

from __future__ import annotations

import io
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from engine import Database
from tests.conftest import BACKENDS
from tests.support.authz import ROLE_USERS, ROLES, World, build_world
from tests.support.databases import DatabaseFactory
from tests.support.openapi import PREFIX, ApiClient, OpenApiDocument
from tests.support.province import PASSWORD
from tests.support.web import csrf_token
from workflows.autopilot import sample_pdf
from workflows.directory import find_user
from workflows.lifecycle import Lifecycle, model_files

Status = int | str
LOGIN = "302 to /login"  # an anonymous visitor of a page is sent to sign in
UNCHECKED_ENDPOINTS = frozenset({"static", "modeler.static", "assets.library_file", "home.health"})

# What a request does, which decides how the case is run --------------------------------------
READ = "read"  # GET
WRITE = "write"  # a valid body; allowed roles change something additive or nothing
PROBE = "probe"  # a deliberately invalid body: allowed roles get 422/400, past authorization
SESSION = "session"  # signs in/out or sets the language: a client of its own per case

#: Stands for a freshly read small PDF in a multipart body.
PDF = object()

SIGNED_IN = ROLES[1:]
PROVINCE_READERS = ("inspector", "process_owner", "admin")
#: Who may see each shared object (web.access: involved organisations + province readers).
SEES_CONSULT = ("drafter_same", "head_same", "drafter_other", "consulted", *PROVINCE_READERS)
SEES_APPRAISAL = ("drafter_same", "head_same", "consulted", "appraiser", *PROVINCE_READERS)
SEES_COMMUNE = ("commune", "commune_chair", *PROVINCE_READERS)
SEES_MONITORING = ("drafter_same", "head_same", "appraiser", *PROVINCE_READERS)  # an STP step
SEES_NEW_SXD_DRAFT = ("drafter_same", "head_same", *PROVINCE_READERS)
#: Drafters and heads of any agency (a chairperson of a commune heads its office too).
STARTERS = ("drafter_same", "head_same", "consulted", "commune", "commune_chair", "admin")
SXD_STARTERS = ("drafter_same", "head_same", "admin")
#: Who moderates and answers the comments on an SXD draft (web.public.moderation).
MODERATORS = ("drafter_same", "head_same", "admin")
EDITORS = ("process_owner", "admin")
#: Who keeps the registry: inspectors and the People's Committee/Council offices (cv.xa is
#: both offices of the commune), and administrators.
KEEPERS = ("inspector", "commune", "admin")
#: Who keeps the annual plan: ubnd_office holders (the commune office holds that role too),
#: anybody of the Department of Justice (its appraiser, inspector, process owner), admins.
PLAN_KEEPERS = ("appraiser", "inspector", "commune", "process_owner", "admin")
#: Who holds a role in SXD (a filter shared with SXD is theirs to use).
SXD_MEMBERS = ("drafter_same", "head_same")
#: Who reads the leaders' dashboards (workflows.reports.access): agency heads (their agency),
#: the Department of Justice's appraisers and inspectors, leaders (a commune's: its
#: organisations) and administrators; drafters, consulted agencies and process owners do not.
DASHBOARD_READERS = ("head_same", "appraiser", "inspector", "commune_chair", "admin")


def _statuses(
    anonymous: Status,
    default: Status,
    layers: tuple[dict[str, Status], ...],
    roles: dict[str, Status],
) -> dict[str, Status]:
    result: dict[str, Status] = {"anonymous": anonymous, **dict.fromkeys(SIGNED_IN, default)}
    for layer in (*layers, roles):
        result.update(layer)
    return result


def page(default: Status, *layers: dict[str, Status], **roles: Status) -> dict[str, Status]:
    """A page's statuses: ``default`` for signed-in roles, then ``layers`` and ``roles`` on
    top (later wins); an anonymous visitor is sent to sign in unless ``anonymous=`` says."""
    return _statuses(roles.pop("anonymous", LOGIN), default, layers, roles)


def api(default: Status, *layers: dict[str, Status], **roles: Status) -> dict[str, Status]:
    """An API call's statuses, as :func:`page`; an anonymous caller gets 401."""
    return _statuses(roles.pop("anonymous", 401), default, layers, roles)


def each(roles: tuple[str, ...], status: Status) -> dict[str, Status]:
    return dict.fromkeys(roles, status)


def hidden_from(viewers: tuple[str, ...]) -> tuple[str, ...]:
    """The signed-in roles that are not among ``viewers``."""
    return tuple(role for role in SIGNED_IN if role not in viewers)


@dataclass(frozen=True)
class Row:
    method: str
    url: str  # placeholders: ids of tests.support.authz.World; {role}/{ROLE}: the case's role
    kind: str
    expect: dict[str, Status]
    body: dict[str, Any] | None = None  # form fields (pages, API uploads) or JSON (API)
    note: str = ""
    holes: dict[str, str] = field(default_factory=dict)  # role -> why the app is wrong
    # (marker, who may see it): a 200 must not contain the marker (a template of world ids)
    # for anyone else; ``finds`` (a list filtered down to the object) must also contain it
    # for those who may
    hides: tuple[tuple[str, tuple[str, ...]], ...] = ()
    finds: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def is_api(self) -> bool:
        return self.url.startswith(PREFIX)

    def __post_init__(self) -> None:
        assert set(self.expect) == set(ROLES), f"{self.method} {self.url}: roles {self.expect}"
        assert set(self.holes) <= set(ROLES)
        assert (self.method == "GET") == (self.kind == READ), f"{self.method} {self.url}"


NEW_DRAFT = {
    "title": "Quy định về quản lý cây xanh đô thị {role}",
    "document_type": "qd_ubnd_tinh",
    "lead_agency": "SXD",
}
REGISTRATION = {
    "necessity": "Cần quy định mới để quản lý thống nhất",
    "main_content": "Phạm vi, đối tượng và trách nhiệm quản lý",
}
FORM_JSON = "consultation_reply.json"  # re-deployed unchanged: nothing new is created
LINT_XML = (
    '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">'
    '<bpmn:process id="authz_lint" isExecutable="true"><bpmn:startEvent id="S"/></bpmn:process>'
    "</bpmn:definitions>"
)
#: The offered tasks name only the open tasks of one's roles.
OFFERED_TASKS = (
    ("{consult_task_stc}", ("consulted",)),
    ("{consult_task_snv}", ("drafter_other",)),
    ("{appraisal_task}", ("appraiser",)),
    ("{commune_task}", ("commune",)),
    ("{monitoring_task}", ("inspector",)),
)
# fmt: off
MATRIX: tuple[Row, ...] = (
    # Signing in, the session, the profile -------------------------------------------------
    Row("GET", "/", READ, page(302)),
    Row("GET", "/login", READ, page(302, anonymous=200)),
    Row("POST", "/login", SESSION, page(302, anonymous=302),
        {"username": "cv.sxd", "password": PASSWORD},
        note="anonymous signs in; the signed-in are sent on"),
    Row("POST", "/logout", SESSION, page(302, anonymous=302)),
    Row("POST", "/language/en", SESSION, page(302, anonymous=302)),
    Row("GET", "/profile", READ, page(200)),
    Row("GET", "/notifications", READ, page(200)),
    Row("POST", "/notifications/999999/read", WRITE, page(404),
        note="nobody has a notification with this id: marking it read is 404 for everyone"),
    Row("POST", "/notifications/read-all", WRITE, page(302),
        note="one's own notifications only"),
    Row("POST", "/profile/notifications", WRITE, page(302),
        note="no choices sent: every kind keeps its default"),
    Row("POST", "/profile", WRITE, page(200), {"action": "token", "name": "authz"}),
    Row("POST", "/profile/tokens/999999/revoke", WRITE, page(404),
        note="nobody owns a token with this id: revoking it is 404 for everyone"),
    # Lists every signed-in user reads ------------------------------------------------------
    Row("GET", "/inbox?tab=offered", READ, page(200), hides=OFFERED_TASKS),
    # Saved inbox filters: anyone saves their own; only the owner changes one ----------------
    Row("POST", "/inbox/filters", WRITE, page(302),
        {"name": "Bộ lọc {role}", "tab": "mine", "priority": "high"}),
    Row("POST", "/inbox/filters/{sxd_filter}", WRITE,
        page(404, each(SXD_MEMBERS, 403), drafter_same=302),
        {"name": "Bộ lọc SXD", "share_with": "SXD"},
        note="saved as it is; shared with SXD, so SXD's other people see it but may not change it"),
    Row("POST", "/inbox/filters/{new_sxd_filter}/delete", WRITE,
        page(404, each(SXD_MEMBERS, 403), drafter_same=302)),
    Row("GET", "/drafts?q={consult_code}", READ, page(200),
        finds=(('href="/drafts/{consult_draft}"', SEES_CONSULT),)),
    Row("GET", "/plan", READ, page(200)),
    # Leaders' dashboards and their XLSX exports (an export is logged, nothing else changes)
    Row("GET", "/dashboards", READ, page(302)),
    Row("GET", "/dashboards/plan", READ, page(403, each(DASHBOARD_READERS, 200))),
    Row("GET", "/dashboards/plan.xlsx", READ, page(403, each(DASHBOARD_READERS, 200))),
    Row("GET", "/dashboards/plan/behind.pdf", READ, page(403, each(DASHBOARD_READERS, 200)),
        note="the behind-plan report (DOCX or PDF): the plan dashboard's readers; logged"),
    Row("GET", "/dashboards/plan/items.docx", READ, page(403, each(DASHBOARD_READERS, 200)),
        note="the plan with each item's state (DOCX or PDF): the plan dashboard's readers; logged"),
    Row("GET", "/dashboards/tasks", READ, page(403, each(DASHBOARD_READERS, 200))),
    Row("GET", "/dashboards/diagrams/{definition}.bpmn", READ,
        page(403, each(DASHBOARD_READERS, 200)), note="the heatmap's diagram"),
    Row("GET", "/dashboards/tasks.xlsx", READ, page(403, each(DASHBOARD_READERS, 200))),
    Row("GET", "/dashboards/registry", READ, page(403, each(DASHBOARD_READERS, 200))),
    Row("GET", "/dashboards/registry.xlsx", READ, page(403, each(DASHBOARD_READERS, 200))),
    # Entering and editing the annual plan: its keepers --------------------------------------
    Row("GET", "/plan/items/new", READ, page(403, each(PLAN_KEEPERS, 200))),
    Row("POST", "/plan/items/new", PROBE, page(403, each(PLAN_KEEPERS, 422)), {"title": ""},
        note="an empty item: refused by its fields only"),
    Row("GET", "/plan/items/{plan_item}/edit", READ, page(403, each(PLAN_KEEPERS, 200))),
    Row("POST", "/plan/items/{plan_item}/edit", PROBE, page(403, each(PLAN_KEEPERS, 422)),
        {"title": ""}, note="an empty title: refused by its field only"),
    Row("GET", "/regulations", READ, page(200)),
    Row("GET", "/regulations/{regulation}", READ, page(200)),
    # Keeping the registry by hand: inspectors, the offices (the commune's), administrators --
    Row("GET", "/regulations/new", READ, page(403, each(KEEPERS, 200))),
    Row("POST", "/regulations/new", PROBE, page(403, each(KEEPERS, 422)), {"number": ""}),
    Row("GET", "/regulations/{regulation}/edit", READ, page(403, each(KEEPERS, 200))),
    Row("POST", "/regulations/{regulation}/edit", PROBE, page(403, each(KEEPERS, 422)),
        {"number": ""}),
    Row("GET", "/regulations/import", READ, page(403, each(KEEPERS, 200))),
    Row("POST", "/regulations/import", PROBE, page(403, each(KEEPERS, 400)),
        note="no file: refused with a sentence"),
    Row("POST", "/regulations/import/confirm", PROBE, page(403, each(KEEPERS, 400)),
        {"rows": "forged"}),
    # Starting a draft: drafters and heads, for their own agency -----------------------------
    Row("GET", "/drafts/new?plan_item={plan_item}", READ, page(403, each(STARTERS, 200))),
    Row("POST", "/drafts/new", WRITE, page(403, each(SXD_STARTERS, 302)), NEW_DRAFT,
        note="STC's and the commune's drafters may start drafts, but not for SXD"),
    # A draft and its dossier: only those who may see it ------------------------------------
    Row("GET", "/drafts/{consult_draft}", READ, page(404, each(SEES_CONSULT, 200))),
    # Public consultation: citizens' pages need no account; the drafter's side does ------------
    Row("GET", "/public/drafts?q=vat lieu", READ, page(200, anonymous=200),
        finds=(('href="/public/drafts/{consult_draft}', ROLES),)),
    Row("GET", "/public/drafts/{consult_draft}", READ, page(200, anonymous=200)),
    Row("GET", "/public/drafts?show=adopted", READ, page(200, anonymous=200),
        note="adopted regulations, read-only"),
    Row("GET", "/public/regulations/999999/document", READ, page(404, anonymous=404),
        note="an adopted regulation's signed text is public; no such regulation"),
    Row("GET", "/public/drafts/{commune_draft}", READ, page(404, anonymous=404),
        note="a draft not in consultation has no public page"),
    Row("POST", "/public/drafts/{consult_draft}/comments", PROBE, page(400, anonymous=400),
        {"name": "A", "email": "a@example.vn", "body": "x"},
        note="anyone may comment; without the form's signed token it is refused"),
    Row("GET", "/public/drafts/{consult_draft}/qr.svg", READ, page(200, anonymous=200)),
    Row("GET", "/public/drafts/{consult_draft}/documents/{document}", READ,
        page(200, anonymous=200), note="the posted draft text is public"),
    Row("GET", "/drafts/{consult_draft}/consultation", READ, page(404, each(SEES_CONSULT, 200))),
    Row("GET", "/drafts/{consult_draft}/synthesis", READ, page(404, each(SEES_CONSULT, 200)),
        note="the synthesis table of the dossier, read on a page: the draft page's rule"),
    Row("POST", "/drafts/{consult_draft}/consultation/comments/999999", PROBE,
        page(404, each(SEES_CONSULT, 403), each(MODERATORS, 404)), {"action": "publish"},
        note="the lead agency's drafters and heads moderate; no such comment"),
    Row("POST", "/drafts/{consult_draft}/consultation/answers", PROBE,
        page(404, each(SEES_CONSULT, 403), each(MODERATORS, 422)), {"key": "public:0"},
        note="the lead agency's drafters and heads answer the ledger; no such entry"),
    Row("GET", "/drafts/{appraisal_draft}", READ, page(404, each(SEES_APPRAISAL, 200))),
    Row("GET", "/drafts/{commune_draft}", READ, page(404, each(SEES_COMMUNE, 200))),
    Row("GET", "/drafts/{consult_draft}/summary.docx", READ, page(404, each(SEES_CONSULT, 200)),
        note="the dossier summary: the draft page's rule; the export is logged"),
    Row("GET", "/drafts/{commune_draft}/summary.docx", READ,
        page(404, each(SEES_COMMUNE, 200))),
    Row("GET", "/drafts/{consult_draft}/reports/submission.docx", READ,
        page(404, each(SEES_CONSULT, 200)),
        note="standard documents (DOCX or PDF) from the recorded steps: the draft page's rule"),
    Row("GET", "/drafts/{consult_draft}/diagrams/{definition}.bpmn", READ,
        page(404, each(SEES_CONSULT, 200))),
    Row("GET", "/drafts/{consult_draft}/documents/{document}", READ,
        page(404, each(SEES_CONSULT, 200))),
    Row("GET", "/drafts/{commune_draft}/documents/{document}", READ, page(404),
        note="a document of another draft, through a draft one may see"),
    Row("GET", "/drafts/{commune_draft}/diagrams/{definition}.bpmn", READ, page(404),
        note="a model the commune draft does not run on"),
    *(Row("POST", f"/drafts/{{consult_draft}}/{action}", PROBE,
          page(404, each(SEES_CONSULT, 403), admin=422), {"reason": "x"},
          note="administrators only; a one-letter reason is too short")
      for action in ("suspend", "resume", "cancel")),
    # Tasks: read by their people and the draft's readers ------------------------------------
    Row("GET", "/tasks/{consult_task_stc}", READ, page(404, each(SEES_CONSULT, 200))),
    Row("GET", "/tasks/{appraisal_task}", READ, page(404, each(SEES_APPRAISAL, 200))),
    Row("GET", "/tasks/{commune_task}", READ, page(404, each(SEES_COMMUNE, 200))),
    Row("GET", "/tasks/{monitoring_task}", READ, page(404, each(SEES_MONITORING, 200))),
    # ... worked only by whom the engine's authorizer allows ---------------------------------
    Row("POST", "/tasks/{new_register_task}/claim", WRITE,
        page(404, each(SEES_NEW_SXD_DRAFT, 403), drafter_same=302)),
    Row("POST", "/tasks/{new_consult_task_stc}/claim", WRITE,
        page(404, each(SEES_CONSULT, 403), consulted=302),
        note="SNV's drafter sees STC's reply (SNV is consulted too) but may not take it"),
    Row("POST", "/tasks/{new_claimed_register_task}/unclaim", WRITE,
        page(404, each(SEES_NEW_SXD_DRAFT, 403), each(SXD_STARTERS, 302)),
        note="claimed by cv.sxd: released by them, their head or an administrator"),
    Row("POST", "/tasks/{new_register_task}/assign", WRITE,
        page(404, each(SEES_NEW_SXD_DRAFT, 403), head_same=302, admin=302),
        {"assignee": "cv2.sxd"}, note="only supervisors delegate an unclaimed task"),
    Row("POST", "/tasks/{new_register_task}/complete", WRITE,
        page(404, each(SEES_NEW_SXD_DRAFT, 403), drafter_same=302), REGISTRATION),
    Row("POST", "/tasks/{new_claimed_register_task}/follow-up", WRITE,
        page(404, each(SEES_NEW_SXD_DRAFT, 403), drafter_same=302, head_same=302, admin=302),
        {"priority": "high"}, note="the assignee (cv.sxd) or a supervisor of SXD"),
    Row("POST", "/tasks/{consult_task_stc}/reroute", PROBE,
        page(404, each(SEES_CONSULT, 403), admin=422),
        {"organisation": "SNV", "role": "consulted_agency"},
        note="only administrators re-route a task; without a reason even they are refused"),
    Row("POST", "/tasks/{consult_task_stc}/complete", PROBE,
        page(404, each(SEES_CONSULT, 403), consulted=422),
        {"opinion": ""}, note="an empty opinion: STC's reply is refused only by its form"),
    Row("POST", "/tasks/{monitoring_task}/complete", PROBE,
        page(404, each(SEES_MONITORING, 403), inspector=422),
        {"inspection_kind": "nonsense"},
        note="the inspectors' step of the monitoring process"),
    Row("POST", "/tasks/{consult_task_stc}/documents", WRITE,
        page(404, each(SEES_CONSULT, 403), consulted=302),
        {"item": "tong_hop_y_kien", "file": PDF}, note="only who may work the step uploads"),
    Row("POST", "/tasks/{consult_task_stc}/comments", WRITE,
        page(404, each(SEES_CONSULT, 302)), {"body": "Góp ý của {role}"},
        note="whoever may see the draft may comment on it"),
    # Process models: process owners and administrators -------------------------------------
    Row("GET", "/models", READ, page(403, each(EDITORS, 200))),
    Row("GET", "/models/{definition}", READ, page(403, each(EDITORS, 200))),
    Row("GET", "/models/{definition}/xml", READ, page(403, each(EDITORS, 200))),
    Row("POST", "/models", WRITE, page(403, each(EDITORS, 302)), {"files": FORM_JSON},
        note="re-deploys a bundled form unchanged"),
    Row("GET", "/models/qd_ubnd_tinh/migration", READ, page(403, each(EDITORS, 200))),
    Row("POST", "/models/qd_ubnd_tinh/migration", WRITE, page(403, each(EDITORS, 302)),
        {"instance_id": "999999"}, note="no such instance: reported, nothing changes"),
    Row("POST", "/models/bundled", WRITE, page(403, each(EDITORS, 302)),
        note="every bundled model is already deployed: nothing changes"),
    # The browser modeler: process owners and administrators; its JSON calls get a form body
    # here (400 past authorization); no draft model 999999 exists (404 past authorization).
    Row("GET", "/modeler", READ, page(403, each(EDITORS, 200))),
    Row("GET", "/modeler/catalog.json", READ, page(403, each(EDITORS, 200))),
    Row("GET", "/modeler/definitions/{definition}", READ, page(403, each(EDITORS, 200))),
    Row("POST", "/modeler/new", WRITE, page(403, each(EDITORS, 302)),
        {"key": "authz_{role}", "name": "Mô hình {role}"}, note="a new draft model"),
    Row("POST", "/modeler/import", PROBE, page(403, each(EDITORS, 303)),
        note="no file: back to the modeler with the reason"),
    Row("POST", "/modeler/drafts", PROBE, page(403, each(EDITORS, 400))),
    Row("GET", "/modeler/drafts/999999", READ, page(403, each(EDITORS, 404))),
    Row("GET", "/modeler/drafts/999999/xml", READ, page(403, each(EDITORS, 404))),
    Row("POST", "/modeler/drafts/999999", PROBE, page(403, each(EDITORS, 400))),
    Row("POST", "/modeler/drafts/999999/delete", WRITE, page(403, each(EDITORS, 404))),
    Row("POST", "/modeler/check", PROBE, page(403, each(EDITORS, 400))),
    Row("POST", "/modeler/check-expression", PROBE, page(403, each(EDITORS, 400))),
    Row("POST", "/modeler/deploy", PROBE, page(403, each(EDITORS, 400))),
    Row("GET", "/modeler/compare/{definition}/{definition}", READ, page(403, each(EDITORS, 200)),
        note="a version compared with itself: no changes"),
    Row("GET", "/modeler/compare", READ, page(403, each(EDITORS, 400)),
        note="no versions chosen"),
    Row("GET", "/modeler/drafts/999999/compare", READ, page(403, each(EDITORS, 404))),
    Row("GET", "/modeler/forms/authz_form.json", READ, page(403, each(EDITORS, 200)),
        note="no such form: an empty field list"),
    Row("POST", "/modeler/drafts/999999/forms/authz_form.json", PROBE,
        page(403, each(EDITORS, 400))),
    Row("GET", "/modeler/dmn/999999", READ, page(403, each(EDITORS, 404))),
    Row("POST", "/modeler/dmn/999999", WRITE, page(403, each(EDITORS, 404))),
    Row("GET", "/modeler/dmn/drafts/999999", READ, page(403, each(EDITORS, 404))),
    Row("POST", "/modeler/dmn/drafts/999999", WRITE, page(403, each(EDITORS, 404))),
    Row("POST", "/models/lint", WRITE, page(403, each(EDITORS, 200)), {"files": FORM_JSON},
        note="checks a bundled form: stores nothing"),
    Row("GET", "/admin/roles", READ, page(403, each(EDITORS, 200))),
    Row("POST", "/admin/roles", WRITE, page(403, each(EDITORS, 302)),
        {"code": "authz_{role}", "name_vi": "Vai trò {role}", "name_en": "Role {role}"}),
    # Administration: administrators only ---------------------------------------------------
    Row("GET", "/admin", READ, page(403, admin=200)),
    Row("GET", "/admin/organisations", READ, page(403, admin=200)),
    Row("POST", "/admin/organisations", WRITE, page(403, admin=302),
        {"code": "AUTHZ_{ROLE}", "name_vi": "Cơ quan {role}", "kind": "department",
         "parent_code": "UBND_T"}),
    Row("GET", "/admin/organisations/{organisation}", READ, page(403, admin=200)),
    Row("POST", "/admin/organisations/{organisation}", WRITE, page(403, admin=302),
        {"name_vi": "Cơ quan dự phòng", "name_en": "Spare agency", "kind": "department",
         "parent_code": "UBND_T"}, note="saves the spare organisation as it is"),
    Row("POST", "/admin/organisations/{organisation}/active", WRITE, page(403, admin=302),
        {"active": "1"}, note="the spare organisation is already active"),
    Row("GET", "/admin/users", READ, page(403, admin=200)),
    Row("POST", "/admin/users", WRITE, page(403, admin=302),
        {"username": "authz.{role}", "full_name": "Người dùng {role}",
         "password": "mat-khau-dai-du-manh", "language": "vi"}),
    Row("GET", "/admin/users/{user}", READ, page(403, admin=200)),
    Row("POST", "/admin/users/{user}/active", WRITE, page(403, admin=302), {"active": "1"},
        note="the spare account is already active"),
    Row("GET", "/admin/calendar", READ, page(403, admin=200)),
    Row("POST", "/admin/calendar", WRITE, page(403, admin=302),
        {"action": "set", "year": "2099", "day": "2099-12-28", "kind": "off",
         "name": "Ngày nghỉ thử"}, note="a day off far beyond every deadline"),
    Row("GET", "/admin/rules", READ, page(403, admin=200)),
    Row("GET", "/admin/outbox?state=failed", READ, page(403, admin=200)),
    Row("POST", "/admin/outbox/999999/resend", WRITE, page(403, admin=404),
        note="no outbox message has this id: 404 for the administrators who may re-send"),
    Row("POST", "/admin/rules", WRITE, page(403, admin=302),
        {"document_type": "*", "procedure": "*", "step": "authz_{role}", "amount": "5",
         "unit": "working_days", "effective_from": "2099-01-01",
         "legal_basis": "Thử nghiệm phân quyền"}, note="a rule for a step no model has"),
    Row("GET", "/admin/reminders", READ, page(403, admin=200)),
    Row("POST", "/admin/reminders", WRITE, page(403, admin=302),
        {"document_type": "", "step": "authz_{role}", "remind_days_before": "2",
         "remind_on_due": "1", "escalate_head_after": "1", "escalate_office_after": "5",
         "repeat_every": "5"}, note="a policy for a step no model has"),
    Row("POST", "/admin/reminders/999999/delete", WRITE, page(403, admin=422),
        note="no policy has this id"),
    Row("GET", "/admin/jobs", READ, page(403, admin=200)),
    Row("POST", "/admin/jobs/reminders/run", WRITE, page(403, admin=302),
        note="runs the reminders job once (it creates each reminder once)"),
    # API: the description is public --------------------------------------------------------
    Row("GET", "/api/v1/openapi.json", READ, api(200, anonymous=200)),
    # API: models are public law to read; deploying is for process owners -------------------
    Row("GET", "/api/v1/tokens", READ, api(200)),
    Row("DELETE", "/api/v1/tokens/999999", WRITE, api(404),
        note="nobody owns a token with this id: revoking it is 404 for everyone"),
    Row("GET", "/api/v1/definitions", READ, api(200)),
    Row("GET", "/api/v1/definitions/{definition}", READ, api(200)),
    Row("GET", "/api/v1/definitions/{definition}/changes?from={definition}", READ,
        api(403, each(EDITORS, 200)), note="a version compared with itself: no changes"),
    Row("POST", "/api/v1/definitions", WRITE, api(403, each(EDITORS, 200)),
        {"files": [FORM_JSON]}, note="200: unchanged, nothing deployed"),
    # API: events and migration for process owners ------------------------------------------
    Row("POST", "/api/v1/messages", WRITE, api(403, each(EDITORS, 404)),
        {"name": "authz_nothing_waits", "correlation_key": "authz"},
        note="nothing waits for it: 404 past authorization, nothing changes"),
    Row("POST", "/api/v1/signals", WRITE, api(403, each(EDITORS, 404)),
        {"name": "authz_nothing_waits"}, note="nothing waits for it: 404, nothing changes"),
    Row("GET", "/api/v1/definitions/qd_ubnd_tinh/migration", READ, api(403, each(EDITORS, 200))),
    Row("POST", "/api/v1/definitions/qd_ubnd_tinh/migration", WRITE,
        api(403, each(EDITORS, 200)), {"instance_ids": [999999]},
        note="no such instance: reported as not moved, nothing changes"),
    Row("POST", "/api/v1/models/lint", WRITE, api(403, each(EDITORS, 200)),
        {"kind": "bpmn", "xml": LINT_XML}, note="lint stores nothing"),
    # API: drafts and dossiers --------------------------------------------------------------
    Row("GET", "/api/v1/drafts?text={appraisal_code}", READ, api(200),
        finds=(('"{appraisal_code}"', SEES_APPRAISAL),)),
    Row("POST", "/api/v1/drafts", WRITE, api(403, each(SXD_STARTERS, 201)), NEW_DRAFT),
    Row("GET", "/api/v1/drafts/{consult_draft}", READ, api(404, each(SEES_CONSULT, 200))),
    Row("GET", "/api/v1/drafts/{commune_draft}", READ, api(404, each(SEES_COMMUNE, 200))),
    Row("GET", "/api/v1/drafts/{consult_draft}/ledger", READ, api(404, each(SEES_CONSULT, 200)),
        note="the comment ledger: the draft page's rule"),
    Row("GET", "/api/v1/public/drafts?q=vat lieu", READ, api(200, anonymous=200),
        finds=(('/public/drafts/{consult_draft}"', ROLES),),
        note="the drafts in public consultation: no sign-in"),
    Row("GET", "/api/v1/drafts/{appraisal_draft}/documents", READ,
        api(404, each(SEES_APPRAISAL, 200))),
    Row("POST", "/api/v1/drafts/{consult_draft}/documents", WRITE,
        api(404, each(SEES_CONSULT, 403), consulted=201),
        {"item": "tong_hop_y_kien", "task_id": "{consult_task_stc}", "file": PDF},
        note="for STC's reply: SNV's drafter works another step of the draft"),
    Row("GET", "/api/v1/drafts/{consult_draft}/documents/{document}/download", READ,
        api(404, each(SEES_CONSULT, 200))),
    Row("GET", "/api/v1/drafts/{commune_draft}/documents/{document}/download", READ, api(404),
        note="a document of another draft, through a draft one may see"),
    *(Row("POST", f"/api/v1/drafts/{{consult_draft}}/{action}", PROBE,
          api(404, each(SEES_CONSULT, 403), admin=422), {"reason": "x"},
          note="administrators only; a one-letter reason is too short")
      for action in ("suspend", "resume", "cancel")),
    # API: process instances ----------------------------------------------------------------
    Row("GET", "/api/v1/instances?business_key={monitoring_key}", READ, api(200),
        finds=(('"{monitoring_key}"', SEES_MONITORING),)),
    Row("POST", "/api/v1/instances", PROBE, api(403, each(EDITORS, 422)),
        {"key": "authz_no_such_process"}, note="an undeployed key: 422 past authorization"),
    Row("GET", "/api/v1/instances/{appraisal_instance}", READ,
        api(404, each(SEES_APPRAISAL, 200))),
    Row("GET", "/api/v1/instances/{monitoring_instance}", READ,
        api(404, each(SEES_MONITORING, 200))),
    Row("GET", "/api/v1/instances/{consult_instance}/history", READ,
        api(404, each(SEES_CONSULT, 200))),
    Row("GET", "/api/v1/instances/{commune_instance}/diagram", READ,
        api(404, each(SEES_COMMUNE, 200))),
    # API: tasks ----------------------------------------------------------------------------
    Row("GET", "/api/v1/tasks?view=offered", READ, api(200), hides=OFFERED_TASKS),
    Row("GET", "/api/v1/tasks?view=organisation&organisation=SXD", READ,
        api(403, head_same=200, admin=200), note="an organisation's work: its heads"),
    Row("GET", "/api/v1/tasks?instance_id={consult_instance}", READ,
        api(404, each(SEES_CONSULT, 200))),
    Row("GET", "/api/v1/tasks/{consult_task_stc}", READ, api(404, each(SEES_CONSULT, 200))),
    Row("GET", "/api/v1/tasks/{appraisal_task}", READ, api(404, each(SEES_APPRAISAL, 200))),
    Row("PATCH", "/api/v1/tasks/{new_claimed_register_task}", WRITE,
        api(404, each(SEES_NEW_SXD_DRAFT, 403), drafter_same=200, head_same=200, admin=200),
        {"priority": "high"}, note="the assignee (cv.sxd) or a supervisor of SXD"),
    Row("POST", "/api/v1/tasks/{new_register_task}/claim", WRITE,
        api(404, each(SEES_NEW_SXD_DRAFT, 403), drafter_same=200)),
    Row("POST", "/api/v1/tasks/{new_consult_task_snv}/claim", WRITE,
        api(404, each(SEES_CONSULT, 403), drafter_other=200),
        note="SNV's reply: its drafter takes it, STC's may not"),
    Row("POST", "/api/v1/tasks/{new_claimed_register_task}/unclaim", WRITE,
        api(404, each(SEES_NEW_SXD_DRAFT, 403), each(SXD_STARTERS, 200))),
    Row("POST", "/api/v1/tasks/{new_register_task}/assign", WRITE,
        api(404, each(SEES_NEW_SXD_DRAFT, 403), head_same=200, admin=200),
        {"assignee": "cv2.sxd"}),
    Row("POST", "/api/v1/tasks/{new_register_task}/complete", WRITE,
        api(404, each(SEES_NEW_SXD_DRAFT, 403), drafter_same=200),
        {"data": REGISTRATION}),
    Row("POST", "/api/v1/tasks/{consult_task_stc}/complete", PROBE,
        api(404, each(SEES_CONSULT, 403), consulted=422), {"data": {"opinion": ""}}),
    Row("GET", "/api/v1/inbox/filters", READ, api(200)),
    Row("POST", "/api/v1/inbox/filters", WRITE, api(201),
        {"name": "API {role}", "params": {"tab": "offered"}}),
    Row("DELETE", "/api/v1/inbox/filters/{new_sxd_filter}", WRITE,
        api(404, each(SXD_MEMBERS, 403), drafter_same=200)),
)
# fmt: on


# The world and its callers ---------------------------------------------------------------------
@dataclass
class Env:
    app: Flask
    world: World
    api: ApiClient
    clients: dict[str, tuple[FlaskClient, str]] = field(default_factory=dict)

    def client(self, role: str, *, own: bool = False) -> tuple[FlaskClient, str]:
        """A client signed in as ``role`` and a CSRF token of its session.

        ``own``: a new client on a copy of that session (signing out or switching the
        language there leaves the shared client as it was; no second slow sign-in).
        """
        if role not in self.clients:
            client = self.app.test_client()
            username = ROLE_USERS[role]
            if username is not None:
                self._sign_in(client, username)
            # /login shows its form to the anonymous and sends the signed-in to their inbox.
            self.clients[role] = (client, csrf_token(client, "/login"))
        client, token = self.clients[role]
        if not own:
            return client, token
        copy = self.app.test_client()
        cookie = client.get_cookie("session")
        if cookie is not None:
            copy.set_cookie("session", cookie.value)
        return copy, token

    def _sign_in(self, client: FlaskClient, username: str) -> None:
        """The session the sign-in form makes (in English), without its deliberately slow
        password check; ``POST /login`` has its own row."""
        with self.world.lifecycle.db.read() as session:
            user = find_user(session, username)
            assert user is not None, username
            with client.session_transaction() as cookie:
                cookie.update(user_id=user.id, epoch=user.auth_epoch, lang="en")


@pytest.fixture(scope="module", params=BACKENDS)
def env(
    request: pytest.FixtureRequest,
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Env]:
    from tests.support import province
    from web import create_app

    if request.param == "postgresql":
        if database_factory.postgres is None:
            database_factory.postgres = request.getfixturevalue("postgres_server")
        url = database_factory.postgresql()
    else:
        url = database_factory.sqlite()
    uploads = tmp_path_factory.mktemp("authz-uploads")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LEXFLOW_UPLOAD_DIR", str(uploads))
        seed = Database(url)
        with seed.write() as session:
            province.seed(session)
        seed.dispose()
        lifecycle = Lifecycle(Database(url))
        world = build_world(lifecycle)
        app = create_app(
            {"DATABASE_URL": url, "SECRET_KEY": "test-secret", "TESTING": True,
             "SCHEDULER_ENABLED": False, "PUBLIC_COMMENT_RATE_LIMIT": "1000 per minute"}
        )  # fmt: skip
        app.extensions["lexflow"] = lifecycle
        client = app.test_client()
        spec = OpenApiDocument(client.get(f"{PREFIX}/openapi.json").get_json())
        yield Env(app, world, ApiClient(client, lifecycle, spec))
        lifecycle.db.dispose()
    database_factory.drop(url)


# Running one case ------------------------------------------------------------------------------
FIELD = re.compile(r"\{(\w+)\}")


def _names(text: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(text) if name]


def _fill(value: Any, values: dict[str, str]) -> Any:
    if isinstance(value, str):
        return value.format(**values)
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    return value


def _placeholders(row: Row) -> set[str]:
    texts = [row.url]
    stack: list[Any] = [row.body or {}]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, str):
            texts.append(item)
    return {name for text in texts for name in _names(text)} - {"role", "ROLE"}


def _values(env: Env, row: Row, role: str) -> dict[str, str]:
    values = {name: env.world.value(name) for name in sorted(_placeholders(row))}
    return {**values, "role": role, "ROLE": role.upper()}


def _form(row: Row, values: dict[str, str]) -> dict[str, Any]:
    """The row's body as form fields; ``PDF`` and ``files`` become uploaded files."""
    body = {}
    for key, item in (row.body or {}).items():
        if item is PDF:
            body[key] = (io.BytesIO(sample_pdf("authz")), "authz.pdf")
        elif key == "files":
            body[key] = (io.BytesIO(model_files()[item]), item)
        else:
            body[key] = _fill(item, values)
    return body


def _json(row: Row, values: dict[str, str]) -> dict[str, Any]:
    """The row's body as JSON; ``files`` names bundled model files, sent with their text."""
    body = _fill(row.body or {}, values)
    if "files" in body:
        body["files"] = {name: model_files()[name].decode() for name in body["files"]}
    return body  # type: ignore[no-any-return]


def request(env: Env, row: Row, role: str) -> TestResponse:
    values = _values(env, row, role)
    url = row.url.format(**values)
    username = ROLE_USERS[role]
    if row.is_api:
        caller = env.api.anonymous() if username is None else env.api.as_user(username)
        if row.method == "GET":
            return caller.get(url)
        if row.method == "DELETE":
            return caller.delete(url)
        if row.method == "PATCH":
            return caller.patch(url, json=_json(row, values))
        if PDF in (row.body or {}).values():
            return caller.post(url, data=_form(row, values), content_type="multipart/form-data")
        return caller.post(url, json=_json(row, values))
    client, token = env.client(role, own=row.kind == SESSION)
    if row.method == "GET":
        return client.get(url)
    body = {**_form(row, values), "csrf_token": token}
    response = client.post(url, data=body, content_type="multipart/form-data")
    if url == "/logout":
        # Signing out ends every session of the user: later rows sign in afresh.
        env.clients.pop(role, None)
    return response


class Mismatch(AssertionError):
    """The response is not the matrix's (status, or a list naming what it should hide); a
    known hole (``Row.holes``) expects exactly this, not any other failure."""


def _case_id(row: Row, role: str) -> str:
    return f"{row.method} {row.url}-{role}"


def _on_postgresql(row: Row) -> bool:
    """Every row runs on SQLite; on PostgreSQL the rows whose answer the database shapes:
    writes, and lists filtered in SQL (``hides``/``finds``). A page's 403 or an invalid
    body's 422 is decided in Python on the same rows whatever the database (the others are
    marked ``sqlite_only``, which tests/conftest.py deselects on PostgreSQL)."""
    return row.kind == WRITE or bool(row.hides or row.finds)


def _cases() -> Iterator[Any]:
    for row in MATRIX:
        for role in ROLES:
            marks = [] if _on_postgresql(row) else [pytest.mark.sqlite_only]
            if role in row.holes:
                marks.append(
                    pytest.mark.xfail(strict=True, raises=Mismatch, reason=row.holes[role])
                )
            yield pytest.param(row, role, id=_case_id(row, role), marks=marks)


@pytest.mark.parametrize(("row", "role"), list(_cases()))
def test_authorization(env: Env, row: Row, role: str) -> None:
    expected = row.expect[role]
    response = request(env, row, role)
    status, location = response.status_code, response.headers.get("Location", "")
    where = f"{row.method} {row.url} as {role} ({ROLE_USERS[role]})"
    if expected == LOGIN:
        if status != 302 or not location.startswith("/login"):
            raise Mismatch(f"{where}: expected a redirect to sign in, got {status} {location}")
        return
    if status != expected:
        text = response.get_data(as_text=True)[:300]
        raise Mismatch(f"{where}: expected {expected}, got {status} {location}: {text}")
    if status == 200 and (row.hides or row.finds):  # a binary export has nothing to hide
        text = response.get_data(as_text=True)
        for template, viewers in row.hides + row.finds:
            marker = template.format(**env.world.ids)
            if role not in viewers and marker in text:
                raise Mismatch(f"{where}: lists {template} ({marker})")
        for template, viewers in row.finds:
            marker = template.format(**env.world.ids)
            if role in viewers and marker not in text:
                raise Mismatch(f"{where}: does not list {template} ({marker})")


# The table covers the app ----------------------------------------------------------------------
def _endpoint(app: Flask, row: Row) -> tuple[str, str]:
    path = FIELD.sub("1", row.url.split("?")[0])
    endpoint, _ = app.url_map.bind("localhost").match(path, method=row.method)
    return endpoint, row.method


def test_every_route_is_in_the_matrix(tmp_path: Path) -> None:
    from web import create_app

    app = create_app(
        {"DATABASE_URL": f"sqlite:///{tmp_path / 'routes.sqlite3'}", "SECRET_KEY": "x",
         "TESTING": True, "SCHEDULER_ENABLED": False}
    )  # fmt: skip
    routes = {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in UNCHECKED_ENDPOINTS
        for method in (rule.methods or set()) - {"HEAD", "OPTIONS"}
    }
    covered = {_endpoint(app, row) for row in MATRIX}
    missing = sorted(routes - covered)
    assert not missing, f"routes without a row in the authorization matrix: {missing}"
    assert covered <= routes


def test_the_matrix_ids_are_unique() -> None:
    ids = [_case_id(row, role) for row in MATRIX for role in ROLES]
    assert len(ids) == len(set(ids))
