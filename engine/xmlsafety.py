"""The safe front door for uploaded BPMN and DMN XML.

Process owners upload models through the browser, so XML is hostile until proven otherwise.
A document must fit the size limit and pass defusedxml (no DTD, no entity declarations, no
external references: this blocks billion-laughs and XXE) before lxml, which SpiffWorkflow's
parser uses, ever sees it; lxml then parses it with entity resolution and network access off.

Elements that only document a model (data stores, data objects, text annotations, groups)
are removed here, so a diagram drawn in any modeler deploys: Lexflow treats them as
documentation. Everything else is left for the parser, which rejects what cannot run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from xml.etree.ElementTree import ParseError

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException
from lxml import etree

from .errors import DeploymentError
from .messages import Message

MAX_XML_BYTES = 2 * 1024 * 1024
MAX_ELEMENTS = 20_000

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "https://www.omg.org/spec/DMN/20230324/MODEL/",
    "https://www.omg.org/spec/DMN/20240513/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"

# Documentation-only BPMN elements (and the links that tie them to flow nodes).
_DOCUMENTATION_TAGS = (
    "dataStore",
    "dataStoreReference",
    "dataObject",
    "dataObjectReference",
    "dataInputAssociation",
    "dataOutputAssociation",
    "textAnnotation",
    "association",
    "group",
)

ModelKind = Literal["bpmn", "dmn"]


@dataclass(frozen=True)
class ParsedDocument:
    """A safely parsed model file: its kind, lxml root and original bytes."""

    filename: str
    kind: ModelKind
    root: etree._Element
    raw: bytes


def parse_model(raw: bytes | str, filename: str) -> ParsedDocument:
    """Parse one uploaded BPMN or DMN file, or raise :class:`DeploymentError` saying why."""
    data = raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)
    if len(data) > MAX_XML_BYTES:
        raise DeploymentError(
            Message(
                "%(file)s: the file is %(size)s bytes; the limit is %(n)s bytes.",
                file=filename,
                size=len(data),
                n=MAX_XML_BYTES,
            )
        )
    if not data.strip():
        raise DeploymentError(Message("%(file)s: the file is empty.", file=filename))
    try:
        SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise DeploymentError(
            Message(
                "%(file)s: XML with a DTD, entity declarations or external references is "
                "refused (%(kind)s).",
                file=filename,
                kind=type(exc).__name__,
            )
        ) from exc
    except ParseError as exc:
        line = exc.position[0] if exc.position else None
        raise DeploymentError(_not_well_formed(filename, exc), line=line) from exc
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise DeploymentError(_not_well_formed(filename, exc), line=exc.lineno) from exc
    count = sum(1 for _ in root.iter())
    if count > MAX_ELEMENTS:
        raise DeploymentError(
            Message(
                "%(file)s: the document has %(count)s elements; the limit is %(n)s.",
                file=filename,
                count=count,
                n=MAX_ELEMENTS,
            )
        )
    kind = _kind_of(root, filename)
    if kind == "bpmn":
        _strip_documentation_elements(root)
    return ParsedDocument(filename=filename, kind=kind, root=root, raw=data)


def _kind_of(root: etree._Element, filename: str) -> ModelKind:
    qname = etree.QName(root)
    if qname.localname == "definitions" and qname.namespace == BPMN_NS:
        return "bpmn"
    if qname.localname == "definitions" and qname.namespace in DMN_NAMESPACES:
        return "dmn"
    raise DeploymentError(
        Message(
            "%(file)s: the root element is <%(root)s> in namespace '%(namespace)s'; expected a "
            "BPMN 2.0 or DMN <definitions> document.",
            file=filename,
            root=qname.localname,
            namespace=qname.namespace,
        )
    )


def _strip_documentation_elements(root: etree._Element) -> None:
    for tag in _DOCUMENTATION_TAGS:
        for element in root.findall(f".//{{{BPMN_NS}}}{tag}"):
            parent = element.getparent()
            if parent is not None:
                parent.remove(element)


def line_of(root: etree._Element, element_id: str | None) -> int | None:
    """Source line of the element with this id, for error messages."""
    if not element_id:
        return None
    for element in root.iter():
        if element.get("id") == element_id:
            return element.sourceline
    return None


def _not_well_formed(filename: str, exc: Exception) -> Message:
    return Message("%(file)s: not well-formed XML: %(problem)s", file=filename, problem=str(exc))
