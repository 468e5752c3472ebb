"""Shared pieces of the benchmarks: the generated model, statistics, machine facts, tables."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import metadata
from xml.sax.saxutils import quoteattr

PROCESS_ID = "bench_chain"
LANES = (
    # (lane name, role, organisation expression)
    ("Drafting", "drafter", "org"),
    ("Checking", "checker", "org"),
    ("Approval", "approver", "org"),
)
START_DATA = {"subject": "Quy định phí tham quan", "org": "ORG01", "rounds": 0}


# The model ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Model:
    xml: str
    process_id: str
    user_tasks: int
    gateways: int
    steps: int  # user tasks completed by one full run (every gateway taken "approve")


def build_model(
    n_tasks: int = 42, group: int = 6, lanes: tuple[tuple[str, str, str], ...] = LANES
) -> Model:
    """A chain of ``n_tasks`` user tasks in 3 lanes with an approve/return gateway per group.

    Tasks come in groups of ``group``: ``group - 1`` work steps alternating between the
    drafting and checking lanes, then an approval step in the approval lane followed by an
    exclusive gateway whose "approve" flow goes on and whose default ("return") flow loops
    back to the first step of the group. A run that always approves completes every user task
    once, so it takes ``n_tasks`` steps. ``lanes``: three (lane name, role, organisation
    expression), drafting, checking and approval (the web benchmarks use real roles).
    """
    if n_tasks < 2 or group < 2:
        raise ValueError("need at least 2 tasks and groups of at least 2")
    tasks: list[tuple[str, str, bool]] = []  # (id, lane name, is approval)
    for i in range(1, n_tasks + 1):
        approval = i % group == 0 or i == n_tasks
        lane = lanes[2][0] if approval else lanes[(i - 1) % 2][0]
        tasks.append((f"Task_{i:02d}", lane, approval))
    return _assemble(tasks, lanes)


def _assemble(tasks: list[tuple[str, str, bool]], lanes: tuple[tuple[str, str, str], ...]) -> Model:
    flows: list[str] = []
    nodes: list[str] = ['<bpmn:startEvent id="StartEvent_begin" name="Begin"/>']
    lane_refs: dict[str, list[str]] = {name: [] for name, _, _ in lanes}
    lane_refs[lanes[0][0]].append("StartEvent_begin")
    counter = 0

    def flow(source: str, target: str, condition: str | None = None, name: str = "") -> None:
        nonlocal counter
        counter += 1
        label = f" name={quoteattr(name)}" if name else ""
        head = f'<bpmn:sequenceFlow id="Flow_{counter:03d}"{label} sourceRef="{source}" '
        if condition is None:
            flows.append(f'{head}targetRef="{target}"/>')
        else:
            flows.append(
                f'{head}targetRef="{target}"><bpmn:conditionExpression>{condition}'
                "</bpmn:conditionExpression></bpmn:sequenceFlow>"
            )

    previous = "StartEvent_begin"
    group_first = tasks[0][0]
    gateways = 0
    n_tasks = len(tasks)
    for index, (task_id, lane, approval) in enumerate(tasks):
        number = index + 1
        props = ""
        if approval:
            title = quoteattr(f'"Approve step {number}: " + subject')
            props = (
                "<bpmn:extensionElements><spiffworkflow:properties>"
                f'<spiffworkflow:property name="title" value={title}/>'
                "</spiffworkflow:properties></bpmn:extensionElements>"
            )
        nodes.append(
            f'<bpmn:userTask id="{task_id}" name="Step {number}">'
            f"<bpmn:documentation>Step {number} of the benchmark chain.</bpmn:documentation>"
            f"{props}</bpmn:userTask>"
        )
        lane_refs[lane].append(task_id)
        if previous is not None:
            flow(previous, task_id)
        previous = task_id
        if approval and number < n_tasks:
            gateways += 1
            gw = f"Gateway_{gateways:02d}"
            back = f"Flow_return_{gateways:02d}"
            nodes.append(f'<bpmn:exclusiveGateway id="{gw}" name="Approved?" default="{back}"/>')
            lane_refs[lane].append(gw)
            flow(task_id, gw)
            flows.append(
                f'<bpmn:sequenceFlow id="{back}" name="return" sourceRef="{gw}" '
                f'targetRef="{group_first}"/>'
            )
            group_first = tasks[index + 1][0]
            flow(gw, group_first, 'decision == "approve"', name="approve")
            previous = None
    nodes.append('<bpmn:endEvent id="EndEvent_done" name="Done"/>')
    lane_refs[lanes[2][0]].append("EndEvent_done")
    flow(previous or tasks[-1][0], "EndEvent_done")

    lanes_xml = []
    for number, (name, role, organisation) in enumerate(lanes, start=1):
        refs = "".join(f"<bpmn:flowNodeRef>{ref}</bpmn:flowNodeRef>" for ref in lane_refs[name])
        lanes_xml.append(
            f'<bpmn:lane id="Lane_{number}" name="{name}"><bpmn:extensionElements>'
            "<spiffworkflow:properties>"
            f'<spiffworkflow:property name="role" value="{role}"/>'
            f'<spiffworkflow:property name="organisation" value="{organisation}"/>'
            f"</spiffworkflow:properties></bpmn:extensionElements>{refs}</bpmn:lane>"
        )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" '
        'xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" '
        'id="Defs_bench" targetNamespace="https://lexflow.test/bench">\n'
        f'<bpmn:process id="{PROCESS_ID}" name="Benchmark chain" isExecutable="true">\n'
        f'<bpmn:laneSet id="LaneSet_bench">{"".join(lanes_xml)}</bpmn:laneSet>\n'
        + "\n".join(nodes)
        + "\n"
        + "\n".join(flows)
        + "\n</bpmn:process>\n</bpmn:definitions>\n"
    )
    return Model(
        xml=xml, process_id=PROCESS_ID, user_tasks=n_tasks, gateways=gateways, steps=n_tasks
    )


# Statistics --------------------------------------------------------------------------------------
def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Linear-interpolated percentile (q in 0..100) of already sorted values."""
    if not sorted_values:
        return math.nan
    position = (len(sorted_values) - 1) * q / 100.0
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(sorted_values[low])
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarize(nanoseconds: Sequence[int]) -> dict[str, float]:
    """n, mean, p50, p95, max in milliseconds."""
    values = sorted(v / 1e6 for v in nanoseconds)
    if not values:
        return {"n": 0, "mean": math.nan, "p50": math.nan, "p95": math.nan, "max": math.nan}
    return {
        "n": len(values),
        "mean": sum(values) / len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "max": values[-1],
    }


# Machine facts -----------------------------------------------------------------------------------
def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as handle:
            for line in handle:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def load_average() -> str:
    """1/5/15-minute load averages (other work on the machine skews every figure)."""
    try:
        return " / ".join(f"{v:.2f}" for v in os.getloadavg())
    except (AttributeError, OSError):
        return "unknown"


def machine_info() -> dict[str, str]:
    try:
        affinity = len(os.sched_getaffinity(0))
    except AttributeError:
        affinity = os.cpu_count() or 0
    return {
        "cpu": _cpu_model(),
        "cpu_count": str(os.cpu_count()),
        "cpus_usable": str(affinity),
        "platform": platform.platform(),
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "SpiffWorkflow": _version("SpiffWorkflow"),
        "SQLAlchemy": _version("SQLAlchemy"),
        "psycopg": _version("psycopg"),
        "SQLite": sqlite3.sqlite_version,
        "load average at start (1/5/15 min)": load_average(),
    }


# Tables ------------------------------------------------------------------------------------------
def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table; numbers right-aligned, text left-aligned."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], len(value))
    numeric = [
        all(isinstance(row[i], int | float) for row in rows if row[i] != "") if rows else False
        for i in range(len(headers))
    ]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            v.rjust(widths[i]) if numeric[i] else v.ljust(widths[i]) for i, v in enumerate(values)
        ).rstrip()

    out = [line(list(headers)), "  ".join("-" * w for w in widths)]
    out.extend(line(row) for row in cells)
    return "\n".join(out)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.2f}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
