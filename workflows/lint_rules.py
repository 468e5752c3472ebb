"""The drafting domain's own lint rules, run by the engine on every deploy and lint.

``requiredDocuments`` on a user task lists dossier item codes the step cannot complete
without (:mod:`workflows.dossier`); a code that is no dossier item could never be present,
so the step could never complete: lint refuses it.

``deadline("step")`` in a timer, a due date or a script names a row of the deadline rule
table (:mod:`workflows.deadlines`); a model naming a step no rule times would fail the day
a draft reaches it ("no deadline rule for step ..."), so lint says so before it deploys.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select

from engine import Message
from engine.lint import WARNING, Finding, LintSubject, Rule, model
from workflows.deadlines import STEP_NAMES, DeadlineRule, deadline_steps
from workflows.dossier import DOSSIER_ITEMS


def _sources(subject: LintSubject) -> Iterator[tuple[str | None, str]]:
    for _document, process in subject.processes():
        for site in model.expression_sites(process):
            yield site.element_id, site.source
        for element in process.iter():
            if model.local(element) in model.FLOW_NODES or model.local(element) == "lane":
                for value in model.properties(element).values():
                    if "deadline" in value:
                        yield element.get("id"), value


def _steps_with_rules(subject: LintSubject) -> set[str]:
    if subject.session is None:
        return set(STEP_NAMES)
    return set(subject.session.execute(select(DeadlineRule.step).distinct()).scalars())


def check_deadline_rules(subject: LintSubject) -> Iterator[Finding]:
    """An unknown step is an error; a step the domain knows but no row times yet (an empty
    rule table before the administrator fills it) is a warning."""
    ruled: set[str] | None = None
    for element_id, source in _sources(subject):
        for step in deadline_steps(source):
            if ruled is None:
                ruled = _steps_with_rules(subject)
            if step in ruled:
                continue
            if step in STEP_NAMES:
                yield Finding(
                    element_id,
                    Message(
                        "no deadline rule times the step '%(step)s' yet: add one "
                        "(Administration → Time limits) before a draft reaches it",
                        step=step,
                    ),
                    WARNING,
                )
                continue
            yield Finding(
                element_id,
                Message(
                    "deadline('%(step)s') names a step no deadline rule times: use one of: "
                    "%(known)s",
                    step=step,
                    known=", ".join(sorted(ruled | set(STEP_NAMES))),
                ),
            )


DEADLINE_RULE = Rule("lexflow/deadline-rule", check_deadline_rules)


def check_required_documents(subject: LintSubject) -> Iterator[Finding]:
    for _document, process in subject.processes():
        for element in process.iter():
            if model.local(element) != "userTask":
                continue
            listed = model.properties(element).get("requiredDocuments", "")
            for code in (part.strip() for part in listed.split(",")):
                if code and code not in DOSSIER_ITEMS:
                    yield Finding(
                        element.get("id"),
                        Message(
                            "requiredDocuments names '%(code)s', which is no dossier item: "
                            "use one of: %(known)s",
                            code=code,
                            known=", ".join(sorted(DOSSIER_ITEMS)),
                        ),
                    )


REQUIRED_DOCUMENTS = Rule("lexflow/required-documents", check_required_documents)
