"""The hostile input corpus: models, forms and uploads meant to break in, or to take the server
down, each with what it is allowed to become.

Small items are files under ``hostile/`` (``{PORT}`` is the port of a loopback listener that
must receive nothing); large ones (huge files, deep nesting, gigantic literals, zip bombs) are
generated here, so nothing huge is committed.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.conftest import read_model
from tests.support.small_models import call

HERE = Path(__file__).parent / "hostile"
MARKER = "/tmp/lexflow-hostile-PWNED"
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"


@dataclass(frozen=True)
class HostileModel:
    """Files deployed together; ``start`` (key, data) when deploying may succeed and the harm
    is in running it, which must then be refused or fail the instance."""

    name: str
    files: dict[str, bytes]
    start: tuple[str, dict[str, Any]] | None = None
    #: Complete the first task as this user with this data (the harm is in the completion).
    complete: tuple[str, dict[str, Any]] | None = None
    tags: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class HostileUpload:
    name: str
    filename: str
    data: bytes
    content_type: str = "application/octet-stream"
    #: A safe name is enough: stored under its hash, never under the name sent.
    may_store: bool = False


def _file(name: str, port: int) -> bytes:
    return (HERE / name).read_text().replace("{PORT}", str(port)).encode()


SCRIPT_MODEL = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">
<bpmn:process id="{pid}" isExecutable="true">
  <bpmn:startEvent id="S"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="S" targetRef="X"/>
  <bpmn:scriptTask id="X" name="Hostile"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
  <bpmn:sequenceFlow id="f2" sourceRef="X" targetRef="G"/>
  <bpmn:exclusiveGateway id="G" default="f3"><bpmn:incoming>f2</bpmn:incoming></bpmn:exclusiveGateway>
  <bpmn:sequenceFlow id="f3" sourceRef="G" targetRef="E"/>
  <bpmn:sequenceFlow id="f4" sourceRef="G" targetRef="E"><bpmn:conditionExpression>{condition}</bpmn:conditionExpression></bpmn:sequenceFlow>
  <bpmn:endEvent id="E"/>
</bpmn:process>
</bpmn:definitions>"""


def _escape(code: str) -> str:
    return code.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def script_model(pid: str, script: str = "x = 1", condition: str = "False") -> bytes:
    return SCRIPT_MODEL.format(
        pid=pid, script=_escape(script), condition=_escape(condition)
    ).encode()


#: Code a process owner might try in a script or a condition.
EXPRESSIONS = {
    "import": f"__import__('os').system('touch {MARKER}')",
    "subclasses": "().__class__.__bases__[0].__subclasses__()",
    "dunder-globals": "len.__self__.__dict__",
    "open": f"open('{MARKER}', 'w').write('x')",
    "lambda": "(lambda: 1)()",
    "comprehension-bomb": "[[y for y in range(10**5)] for x in range(10**5)]",
    "power-tower": "9**9**9",
    "string-bomb": "'a' * 10**10",
    "list-bomb": "[0] * 10**10",
    "format-escape": "'{0.__class__.__mro__}'.format(1)",
    "gigantic-int": "1" * 100_000,
    "gigantic-string": "'" + "a" * 1_000_000 + "'",
}


def _deep_xml(depth: int) -> bytes:
    inner = "<x>" * depth + "</x>" * depth
    return script_model("deep_nesting").replace(
        b"<bpmn:script>",
        f"<bpmn:extensionElements>{inner}</bpmn:extensionElements><bpmn:script>".encode(),
    )


def _wide_xml(count: int) -> bytes:
    flows = "".join(f'<bpmn:endEvent id="E{n}"/>' for n in range(count))
    return script_model("wide").replace(
        b'<bpmn:endEvent id="E"/>', f'<bpmn:endEvent id="E"/>{flows}'.encode()
    )


def _huge_xml(size: int) -> bytes:
    padding = "<bpmn:documentation>" + "x" * size + "</bpmn:documentation>"
    return script_model("huge").replace(
        b'isExecutable="true">', f'isExecutable="true">{padding}'.encode()
    )


def _deep_form(depth: int) -> bytes:
    return (
        b'{"type": "object", "properties": {"reason": '
        + b'{"items": ' * depth
        + b"{}"
        + b"}" * depth
        + b"}}"
    )


def _appraisal(form: bytes) -> dict[str, bytes]:
    return {"appraisal.bpmn": read_model("appraisal.bpmn"), "appraisal_form.json": form}


def models(port: int) -> list[HostileModel]:
    """Every hostile model bundle, with ``port`` the listener's."""
    items = [
        HostileModel(name, {name: _file(name, port)})
        for name in (
            "xxe_file.bpmn",
            "xxe_http.bpmn",
            "dtd_http.bpmn",
            "parameter_entity.bpmn",
            "xinclude.bpmn",
            "billion_laughs.bpmn",
            "billion_laughs.dmn",
            "xxe_file.dmn",
        )
    ]
    items += [
        HostileModel(
            "mi_10000.bpmn", {"mi_10000.bpmn": _file("mi_10000.bpmn", port)}, ("mi_10000", {})
        ),
        HostileModel(
            "mi-cardinality-from-data",
            {"mi_cardinality.bpmn": read_model("mi_cardinality.bpmn")},
            ("mi_cardinality", {"copies": 10000}),
        ),
        HostileModel(
            "runaway-loop",
            {"runaway_loop.bpmn": read_model("runaway_loop.bpmn")},
            ("runaway_loop", {"turns": 0, "loop_at_once": True}),
        ),
        HostileModel("self-call", {"self_call.bpmn": read_model("self_call.bpmn")}),
        HostileModel(
            "call-cycle",
            {
                "cycle_a.bpmn": call("cycle_a", "cycle_b"),
                "cycle_b.bpmn": call("cycle_b", "cycle_a"),
            },
        ),
        HostileModel("deep-xml", {"deep.bpmn": _deep_xml(100_000)}),
        HostileModel("wide-xml", {"wide.bpmn": _wide_xml(50_000)}),
        HostileModel("huge-xml", {"huge.bpmn": _huge_xml(3 * 1024 * 1024)}),
        HostileModel("form-ref-http", _appraisal(_file("form_ref_http.json", port))),
        HostileModel("form-ref-file", _appraisal(_file("form_ref_file.json", port))),
        HostileModel("form-backreference", _appraisal(_file("form_backreference.json", port))),
        HostileModel(
            "form-redos",
            _appraisal(_file("form_redos.json", port)),
            ("appraisal", {"title": "Quy định"}),
            ("tdv.stp", {"decision": "return", "reason": "a" * 64 + "!"}),
        ),
        HostileModel("form-deep", _appraisal(_deep_form(50_000))),
        HostileModel(
            "form-huge",
            _appraisal(b'{"type": "object", "description": "' + b"x" * (3 * 1024 * 1024) + b'"}'),
        ),
        HostileModel("form-not-json", _appraisal(b"{'type': 'object',")),
    ]
    for attack, code in EXPRESSIONS.items():
        pid = "expr_" + attack.replace("-", "_")
        items.append(
            HostileModel(
                f"script-{attack}",
                {f"{pid}.bpmn": script_model(pid, script=f"x = {code}")},
                (pid, {}),
            )
        )
        pid_c = pid + "_condition"
        items.append(
            HostileModel(
                f"condition-{attack}",
                {f"{pid_c}.bpmn": script_model(pid_c, condition=code)},
                (pid_c, {}),
            )
        )
    return items


def _zip_bomb(unpacked_mb: int) -> bytes:
    """A DOCX whose document.xml unpacks to ``unpacked_mb`` MB of zeros (a few hundred KB)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\0" * (1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(chunk)
    return buffer.getvalue()


def uploads() -> list[HostileUpload]:
    return [
        HostileUpload("too-large-for-the-server", "big.pdf", PDF + b"0" * (26 * 1024 * 1024)),
        HostileUpload("too-large-for-a-file", "big.pdf", PDF + b"0" * (21 * 1024 * 1024)),
        HostileUpload(
            "executable", "setup.exe", b"MZ\x90\x00" + b"\0" * 512, "application/x-msdownload"
        ),
        HostileUpload(
            "executable-named-pdf", "report.pdf", b"\x7fELF" + b"\0" * 512, "application/pdf"
        ),
        HostileUpload("pdf-named-docx", "report.docx", PDF),
        HostileUpload(
            "html-named-pdf", "report.pdf", b"<html><script>alert(1)</script></html>", "text/html"
        ),
        HostileUpload("empty", "empty.pdf", b""),
        HostileUpload("zip-bomb-docx", "bomb.docx", _zip_bomb(256)),
        HostileUpload("no-extension", "passwd", PDF),
        HostileUpload(
            "traversal", "../../../../tmp/lexflow-traversal.pdf", PDF, "application/pdf", True
        ),
        HostileUpload(
            "traversal-backslash", "..\\..\\..\\lexflow-traversal.pdf", PDF, "application/pdf", True
        ),
        HostileUpload("absolute", "/etc/cron.d/lexflow.pdf", PDF, "application/pdf", True),
    ]
