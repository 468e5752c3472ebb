"""A DMN decision table as rows × columns of text, and back into the DMN document.

The engine evaluates DMN with SpiffWorkflow's DMN engine and Lexflow's safe expression
language (engine/scripting.py), not FEEL: an input cell is a test on the column's value
written with ``?`` (``? == "urgent_practical_issue"``, ``? in ("a", "b")``) or ``-`` for any
value; an output cell is an expression (``"simplified"``). The table editor keeps the
document's columns, hit policy and diagram and replaces its rules, in the owner's order;
deploying runs the engine's lint on every cell (:mod:`engine.lint`), as for an upload.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine import DeploymentError, Message
from engine.xmlsafety import parse_model

MAX_RULES = 500
MAX_CELL = 2000


@dataclass
class Column:
    label: str
    text: str  # the input expression, or the output's name


@dataclass
class Table:
    """The first decision table of a DMN document, as the editor shows it."""

    decision_id: str
    name: str
    hit_policy: str
    inputs: list[Column]
    outputs: list[Column]
    rules: list[dict[str, Any]] = field(default_factory=list)


def _table_node(root: Any) -> Any:
    node = next(root.iter("{*}decisionTable"), None)
    if node is None:
        raise DeploymentError(Message("the DMN file has no decision table"))
    return node


def _child_text(node: Any, path: str) -> str:
    found = node.find(path)
    return (found.text or "").strip() if found is not None else ""


def read(xml: str) -> Table:
    """The table of a DMN document (DeploymentError when it has none)."""
    root = parse_model(xml, "decision.dmn").root
    decision = next(root.iter("{*}decision"))
    node = _table_node(root)
    inputs = [
        Column(i.get("label") or "", _child_text(i, "{*}inputExpression/{*}text"))
        for i in node.findall("{*}input")
    ]
    outputs = [Column(o.get("label") or "", o.get("name") or "") for o in node.findall("{*}output")]
    rules = [
        {
            "description": _child_text(rule, "{*}description"),
            "inputs": [_child_text(e, "{*}text") for e in rule.findall("{*}inputEntry")],
            "outputs": [_child_text(e, "{*}text") for e in rule.findall("{*}outputEntry")],
        }
        for rule in node.findall("{*}rule")
    ]
    return Table(
        decision_id=decision.get("id") or "",
        name=decision.get("name") or "",
        hit_policy=node.get("hitPolicy") or "UNIQUE",
        inputs=inputs,
        outputs=outputs,
        rules=rules,
    )


def _cell(value: Any) -> str:
    return value.strip()[:MAX_CELL] if isinstance(value, str) else ""


def write(xml: str, rules: list[dict[str, Any]]) -> str:
    """``xml`` with its decision table's rules replaced by ``rules`` (same columns).

    Each rule is {"description", "inputs": [cell per input], "outputs": [cell per output]};
    an empty input cell means any value (``-``). A row with an empty output is refused.
    """
    document = parse_model(xml, "decision.dmn")
    if document.kind != "dmn":
        raise DeploymentError(Message("the file is not a DMN decision"))
    node = _table_node(document.root)
    ns = etree.QName(node).namespace
    n_in, n_out = len(node.findall("{*}input")), len(node.findall("{*}output"))
    if len(rules) > MAX_RULES:
        raise DeploymentError(Message("a table has at most %(n)s rules", n=MAX_RULES))
    for old in node.findall("{*}rule"):
        node.remove(old)
    for number, rule in enumerate(rules, start=1):
        inputs = [_cell(v) for v in (rule.get("inputs") or [])][:n_in]
        outputs = [_cell(v) for v in (rule.get("outputs") or [])][:n_out]
        inputs += [""] * (n_in - len(inputs))
        outputs += [""] * (n_out - len(outputs))
        if any(not value for value in outputs):
            raise DeploymentError(
                Message("rule %(n)s: every output cell needs an expression", n=number)
            )
        element = etree.SubElement(node, f"{{{ns}}}rule", id=f"Rule_{number}")
        description = _cell(rule.get("description"))
        if description:
            etree.SubElement(element, f"{{{ns}}}description").text = description
        for kind, cells in (("inputEntry", inputs), ("outputEntry", outputs)):
            for column, value in enumerate(cells, start=1):
                entry = etree.SubElement(element, f"{{{ns}}}{kind}", id=f"{kind}_{number}_{column}")
                etree.SubElement(entry, f"{{{ns}}}text").text = value or "-"
    etree.indent(document.root, space="  ")
    body = etree.tostring(document.root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
