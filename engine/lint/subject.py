"""What a lint rule looks at: the uploaded documents, and the facts it may ask about.

A rule never queries the database or imports the domain itself: it asks the subject
(``role_known``, ``process_deployed``, ``deployed_calls`` ...), which the engine answers
from its context and the deploy transaction's session. So the same rules run inside a
deploy, behind the lint-only endpoint, and in tests with hand-made facts.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from ..expressions import SafeEvaluator
from ..services import ServiceRegistry
from ..xmlsafety import ParsedDocument
from . import model


def candidate_processes(root: etree._Element) -> list[etree._Element]:
    """The executable processes of a document; if it has none, the pools Lexflow would run
    once marked executable: those with lanes or user tasks (a partner pool has neither)."""
    processes = list(root.iter(model.bpmn("process")))
    executable = [p for p in processes if model.is_executable(p)]
    if executable:
        return executable
    return [
        p
        for p in processes
        if p.find(f"{model.bpmn('laneSet')}") is not None
        or next(p.iter(model.bpmn("userTask")), None) is not None
    ]


def _nothing_deployed(_key: str) -> bool:
    return False


def _no_calls(_key: str) -> frozenset[str]:
    return frozenset()


def _any_role(_role: str) -> bool:
    return True


@dataclass
class LintSubject:
    """The BPMN documents of one upload (or of one editor's diagram) and the world around it.

    ``process_deployed(key)`` says whether a process of that key is deployed;
    ``deployed_calls(key)`` which process keys its newest deployed version calls (directly
    or through others); ``session`` is the caller's database session (domain rules may
    read their own tables with it; None in pure tests).
    """

    documents: list[ParsedDocument]
    evaluator: SafeEvaluator
    services: ServiceRegistry
    role_known: Callable[[str], bool] = _any_role
    process_deployed: Callable[[str], bool] = _nothing_deployed
    deployed_calls: Callable[[str], frozenset[str]] = _no_calls
    decision_deployed: Callable[[str], bool] = _nothing_deployed
    session: Any = None
    #: (kind, text) of expressions checked at XML level (the spec check skips them).
    checked_sources: set[tuple[str, str]] = field(default_factory=set)

    def bpmn_documents(self) -> list[ParsedDocument]:
        return [document for document in self.documents if document.kind == "bpmn"]

    def processes(self) -> Iterator[tuple[ParsedDocument, etree._Element]]:
        """Every executable process of the upload, with its document.

        A file with no executable process (Signavio and the bpmn.io demo export pools as not
        executable) offers its candidates instead, so that lint still says everything they
        lack: see :func:`candidate_processes`.
        """
        for document in self.bpmn_documents():
            for process in candidate_processes(document.root):
                yield document, process

    def uploaded_process_ids(self) -> set[str]:
        return {str(process.get("id")) for _, process in self.processes() if process.get("id")}

    def messages(self) -> dict[str, etree._Element]:
        """``bpmn:message`` elements of the upload by id."""
        return self._root_elements("message")

    def signals(self) -> dict[str, etree._Element]:
        return self._root_elements("signal")

    def _root_elements(self, tag: str) -> dict[str, etree._Element]:
        found: dict[str, etree._Element] = {}
        for document in self.bpmn_documents():
            for element in document.root.iter(model.bpmn(tag)):
                if element.get("id"):
                    found[str(element.get("id"))] = element
        return found
