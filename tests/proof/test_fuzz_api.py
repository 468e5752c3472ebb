"""API fuzzing: schemathesis against ``/api/v1/openapi.json`` as a drafter and as an admin.

Every operation of the document gets generated requests (valid ones, and invalid ones the
API must refuse), once with random ids and once with the ids of real objects (a deployed
model, a draft, its instance and open task), each sent through the app's WSGI interface
with a bearer token, on SQLite and PostgreSQL. All of schemathesis's checks apply: no 5xx,
every status and every response body as documented, invalid input refused. A failure is
reported with the request that caused it (as a curl command) and the check it broke.

``LEXFLOW_FUZZ_EXAMPLES`` sets the examples per operation and mode (default 25);
``LEXFLOW_FUZZ_OPERATIONS`` limits the run to operation ids (comma-separated).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import positive_data_acceptance

from tests.conftest import read_model
from tests.proof.live import token
from tests.support.drafts import start_draft
from tests.support.openapi import TEST_MODELS

pytestmark = pytest.mark.proof

#: Every check schemathesis has, but one: ``positive_data_acceptance`` wants a 2xx for any
#: request the document's schemas accept, while the API rightly refuses, with a documented
#: 4xx and a sentence, what only the data can tell (a NUL character, a user who does not
#: exist, a field the deployed form requires, a lead agency the caller does not draft for).
EXCLUDED = [positive_data_acceptance]

EXAMPLES = int(os.environ.get("LEXFLOW_FUZZ_EXAMPLES", "25"))
ONLY = {name for name in os.environ.get("LEXFLOW_FUZZ_OPERATIONS", "").split(",") if name}


def _real_ids(lifecycle: Any) -> dict[str, Any]:
    """Ids of objects that exist, so generated requests reach more than 404s."""
    engine = lifecycle.engine
    [definition] = engine.definitions(key="qd_ubnd_tinh")
    draft = start_draft(lifecycle, deploy=False)
    [task] = [t for t in engine.tasks() if t.instance_id == draft.instance_id]
    return {
        "definition_id": definition.id,
        "draft_id": draft.id,
        "instance_id": draft.instance_id,
        "task_id": task.id,
    }


def _fuzz(strategy: Any, headers: dict[str, str], count: Any) -> str | None:
    """Send up to ``EXAMPLES`` generated requests; the first failure's report, or None."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def exchange(case: Any) -> None:
        count()
        case.call_and_validate(headers=headers, excluded_checks=EXCLUDED)

    try:
        exchange()
    except (AssertionError, BaseExceptionGroup) as exc:
        return str(exc)[:3000]
    return None


@pytest.mark.parametrize("role", ["cv.sxd", "admin"], ids=["drafter", "admin"])
def test_no_generated_request_gets_a_5xx_or_an_undocumented_answer(
    app: Flask, lifecycle: Any, role: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEXFLOW_UPLOAD_DIR", str(tmp_path / "uploads"))
    app.config["TESTING"] = False  # errors answered as in production, not raised
    lifecycle.engine.deploy({name: read_model(name) for name in TEST_MODELS}, "owner")
    ids = _real_ids(lifecycle)
    headers = {"Authorization": f"Bearer {token(lifecycle, role, 'fuzz')}"}
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    sent: Counter[str] = Counter()
    failures: dict[str, str] = {}
    started = time.perf_counter()

    for result in schema.get_all_operations():
        operation = result.ok()
        name = operation.definition.raw.get("operationId", operation.label)
        if ONLY and name not in ONLY:
            continue
        known = {p.name: ids[p.name] for p in operation.path_parameters if p.name in ids}
        passes = [(GenerationMode.POSITIVE, {}), (GenerationMode.NEGATIVE, {})]
        if known:
            passes.append((GenerationMode.POSITIVE, known))
        for mode, path_parameters in passes:
            label = f"{operation.label} [{mode.value}{', real ids' if path_parameters else ''}]"
            strategy = operation.as_strategy(
                generation_mode=mode,
                **({"path_parameters": path_parameters} if path_parameters else {}),
            )

            failure = _fuzz(strategy, headers, lambda label=label: sent.update([label]))
            if failure is not None:
                failures[label] = failure
    seconds = time.perf_counter() - started
    print(
        f"\nfuzz as {role} on {lifecycle.db.dialect}: {sum(sent.values())} requests over "
        f"{len(sent)} operation passes in {seconds:.0f} s; {len(failures)} failing"
    )
    assert not failures, "\n\n".join(f"== {k}\n{v}" for k, v in failures.items())
