"""The small world the authorization matrix runs in, built once per test database.

:func:`build_world` deploys the bundled models into the seeded test province
(:mod:`tests.support.province`) and walks real drafts with the autopilot, so every task, draft
and instance the matrix asks about is one the application made itself:

* ``consult_draft``: a ``qd_ubnd_tinh`` draft of SXD at the consultation stage, with open
  replies for the consulted agencies STC (``consult_task_stc``) and SNV
  (``consult_task_snv``) and a dossier document (``document``);
* ``appraisal_draft``: another SXD draft (STC consulted) at the appraisal check step, an open
  task for the appraisers of STP (``appraisal_task``);
* ``commune_draft``: a ``qd_ubnd_xa`` draft of the commune office XA_A_VP (``commune_task``);
* ``regulation``: a regulation of SXD in force with its monitoring instance
  (``monitoring_instance``, business key ``monitoring_key``) and the inspectors' step of it
  (``monitoring_task``, for STP);
* ``plan_item``: an item of the annual plan for SXD that no draft has started;
* ``organisation`` and ``user``: a spare organisation and account for the admin pages;
* ``definition``: the ``qd_ubnd_tinh`` model the province drafts run on; ``*_instance`` and
  ``*_code``: each draft's process instance and code.

Placeholders named ``new_*`` are not shared: :meth:`World.fresh` gives a new task for every
use (``new_register_task``; ``new_claimed_register_task``, claimed by cv.sxd; the open
consultation replies ``new_consult_task_stc`` and ``new_consult_task_snv``; a saved inbox
filter of cv.sxd shared with SXD, ``new_sxd_filter``, beside the shared ``sxd_filter``), so a request
that claims, releases, delegates or completes one changes nothing another case looks at.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from itertools import count
from typing import Any

from sqlalchemy import func, select

from engine import TaskQuery, clock
from engine.models import OPEN_STATES, ProcessInstance
from workflows import accounts, inbox_filters, registry
from workflows.autopilot import Autopilot, at_step
from workflows.directory import Organisation
from workflows.dossier import DocumentVersion
from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle
from workflows.plan import PlanItem

#: The roles of the matrix and the account of the test province each one signs in as.
ROLE_USERS: dict[str, str | None] = {
    "anonymous": None,
    "drafter_same": "cv.sxd",  # drafter of SXD, the lead agency of the province drafts
    "drafter_other": "cv.snv",  # SNV: consulted on consult_draft only
    "head_same": "gd.sxd",  # head of SXD (a supervisor: assigns and releases SXD's work)
    "appraiser": "tdv.stp",  # appraiser of STP: works appraisal_draft's check step
    "inspector": "kt.stp",  # inspector of STP: reads every draft, works none of them
    "consulted": "cv.stc",  # STC: consulted on both province drafts (also a drafter of STC)
    "commune": "cv.xa",  # drafter of the commune office XA_A_VP
    "commune_chair": "ct.xa",  # the commune's People's Committee chair, head of XA_A_VP
    "process_owner": "owner",
    "admin": "admin",
}
ROLES: tuple[str, ...] = tuple(ROLE_USERS)

FRESH_PREFIX = "new_"
SPARE_ORGANISATION = "AUTHZ_SPARE"
SPARE_USER = "authz.spare"
TITLE = "Quy định quản lý vật liệu xây dựng (phân quyền)"
DEFINITION_KEY = "qd_ubnd_tinh"


def _open_tasks(lifecycle: Lifecycle, instance_id: int | None) -> list[Any]:
    return lifecycle.engine.tasks(TaskQuery(instance_id=instance_id, states=OPEN_STATES, limit=100))


def _only(tasks: list[Any], element: str, organisation: str | None = None) -> str:
    found = [
        t.id
        for t in tasks
        if t.element_id == element and (organisation is None or t.organisation == organisation)
    ]
    assert len(found) == 1, f"expected one open {element} ({organisation}): {tasks}"
    return str(found[0])


@dataclass
class World:
    lifecycle: Lifecycle
    ids: dict[str, str] = field(default_factory=dict)
    _serial: count = field(default_factory=lambda: count(1))
    _replies: dict[str, list[str]] = field(default_factory=lambda: {"STC": [], "SNV": []})

    # Drafts ------------------------------------------------------------------------------
    def start_draft(
        self,
        username: str = "cv.sxd",
        lead_agency: str = "SXD",
        *,
        document_type: str = DEFINITION_KEY,
        consulted: tuple[str, ...] = (),
        commune: str | None = None,
    ) -> Draft:
        life = self.lifecycle
        with life.db.write() as session:
            draft = life.start_draft(
                session,
                life.engine.actor(username),
                title=f"{TITLE} {next(self._serial)}",
                document_type=document_type,
                lead_agency=lead_agency,
                consulted_agencies=consulted,
                commune=commune,
            )
            session.flush()
            session.expunge(draft)
            return draft

    def walk(self, draft: Draft, step: str) -> list[Any]:
        """Work the draft until a step ending in ``step`` is open; its open tasks."""
        Autopilot(self.lifecycle).run(draft, until=at_step(step))
        return _open_tasks(self.lifecycle, draft.instance_id)

    # Placeholders ------------------------------------------------------------------------
    def value(self, name: str) -> str:
        """A placeholder's value: shared ids as built, ``new_*`` ones made for this use."""
        return self.fresh(name) if name.startswith(FRESH_PREFIX) else self.ids[name]

    def fresh(self, name: str) -> str:
        """A task made for one request only (see the module docstring)."""
        engine = self.lifecycle.engine
        if name in ("new_register_task", "new_claimed_register_task"):
            draft = self.start_draft()
            task = _only(_open_tasks(self.lifecycle, draft.instance_id), "Task_qdt_register")
            if name == "new_claimed_register_task":
                engine.claim(task, engine.actor("cv.sxd"))
            return task
        if name in ("new_consult_task_stc", "new_consult_task_snv"):
            # Walking a draft to its consultation is slow: each walk gives one unused reply
            # of STC and one of SNV, and the other one waits for the next request wanting it.
            organisation = name.removeprefix("new_consult_task_").upper()
            if not self._replies[organisation]:
                draft = self.start_draft(consulted=("STC", "SNV"))
                tasks = self.walk(draft, "_cns_reply")
                for code in ("STC", "SNV"):
                    self._replies[code].append(_only(tasks, "Task_cns_reply", code))
            return self._replies[organisation].pop()
        if name == "new_sxd_filter":
            return self.sxd_filter(f"Bộ lọc SXD {next(self._serial)}")
        raise KeyError(f"no fresh placeholder {name}")

    def sxd_filter(self, name: str) -> str:
        """A saved inbox filter of cv.sxd shared with SXD (cv2.sxd and gd.sxd may use it)."""
        life = self.lifecycle
        with life.db.write() as session:
            row = inbox_filters.create_filter(
                session, life.engine.actor("cv.sxd"), name, {"tab": "mine"}, "SXD"
            )
            return str(row.id)


def build_world(lifecycle: Lifecycle) -> World:
    """Build the shared world on a seeded database (uploads go to ``LEXFLOW_UPLOAD_DIR``)."""
    world = World(lifecycle)
    ids = world.ids
    lifecycle.deploy_models("owner")

    consult = world.start_draft(consulted=("STC", "SNV"))
    tasks = world.walk(consult, "_cns_reply")
    ids["consult_draft"] = str(consult.id)
    ids["consult_code"] = consult.code
    ids["consult_instance"] = str(consult.instance_id)
    ids["consult_task_stc"] = _only(tasks, "Task_cns_reply", "STC")
    ids["consult_task_snv"] = _only(tasks, "Task_cns_reply", "SNV")

    appraisal = world.start_draft(consulted=("STC",))
    tasks = world.walk(appraisal, "_apr_check")
    ids["appraisal_draft"] = str(appraisal.id)
    ids["appraisal_code"] = appraisal.code
    ids["appraisal_instance"] = str(appraisal.instance_id)
    ids["appraisal_task"] = _only(tasks, "Task_apr_check", "STP")

    commune = world.start_draft("cv.xa", "XA_A_VP", document_type="qd_ubnd_xa", commune="XA_A")
    ids["commune_draft"] = str(commune.id)
    ids["commune_code"] = commune.code
    ids["commune_instance"] = str(commune.instance_id)
    ids["commune_task"] = _only(
        _open_tasks(lifecycle, commune.instance_id), "Task_qdx_register", "XA_A_VP"
    )

    with lifecycle.db.write() as session:
        instance = session.get(ProcessInstance, consult.instance_id)
        assert instance is not None
        ids["definition"] = str(instance.definition_id)
        document = session.scalar(
            select(func.min(DocumentVersion.id)).where(
                DocumentVersion.draft_id == consult.id, DocumentVersion.item_code == "du_thao"
            )
        )
        assert document is not None, "the drafting step uploads the draft text"
        ids["document"] = str(document)

        regulation = registry.register(
            session,
            number="01/2026/QĐ-UBND",
            title="Quy định quản lý chợ đầu mối",
            document_type=DEFINITION_KEY,
            issuing_body="UBND_T",
            lead_agency="SXD",
            signed_on=date(2026, 1, 5),
            effective_on=date(2026, 1, 20),
            published_on=date(2026, 1, 8),
        )
        ids["regulation"] = str(regulation.id)
        ids["monitoring_instance"] = str(lifecycle.start_monitoring(session, regulation))
        ids["monitoring_key"] = f"REG-{regulation.id}"  # its business key

        item = PlanItem(
            year=2026,
            title="Quy định quản lý cây xanh đô thị",
            document_type=DEFINITION_KEY,
            lead_agency="SXD",
            created_by="admin",
            created_at=clock.now(),
        )
        session.add(item)
        session.add(
            Organisation(
                code=SPARE_ORGANISATION,
                name_vi="Cơ quan dự phòng",
                name_en="Spare agency",
                kind="department",
                parent_code="UBND_T",
                active=True,
            )
        )
        session.flush()
        ids["plan_item"] = str(item.id)
        ids["organisation"] = SPARE_ORGANISATION
        ids["user"] = str(
            accounts.create_user(session, SPARE_USER, "Tài khoản dự phòng", None, []).id
        )

    ids["sxd_filter"] = world.sxd_filter("Bộ lọc SXD")
    monitoring = _open_tasks(lifecycle, int(ids["monitoring_instance"]))
    ids["monitoring_task"] = _only(monitoring, "Task_mon_inspect", "STP")  # the inspectors'
    return world
