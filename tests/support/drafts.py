"""Starting a draft for a test: the bundled models deployed, the draft started by a drafter.

Many tests begin the same way (a Department of Construction drafter opens a decision of the
provincial People's Committee); this is that beginning, once.
"""

from __future__ import annotations

from collections.abc import Iterable

from workflows.drafts import Draft
from workflows.lifecycle import Lifecycle


def start_draft(
    lifecycle: Lifecycle,
    *,
    title: str = "Quy định quản lý vật liệu xây dựng",
    document_type: str = "qd_ubnd_tinh",
    lead_agency: str = "SXD",
    by: str = "cv.sxd",
    consulted: Iterable[str] = (),
    deploy: bool = True,
) -> Draft:
    """Deploy the bundled models (unless ``deploy`` is false) and start one draft."""
    if deploy:
        lifecycle.deploy_models("owner")
    with lifecycle.db.write() as session:
        made = lifecycle.start_draft(
            session,
            lifecycle.engine.actor(by),
            title=title,
            document_type=document_type,
            lead_agency=lead_agency,
            consulted_agencies=tuple(consulted),
        )
        session.flush()
        return made
