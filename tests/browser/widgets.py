"""Reading a step's form the way a person sees it, and answering it through its widgets.

The walker must not know how a page is built today: the step pages are being reworked
(booleans becoming yes/no radio pairs, organisation fields becoming pickers). So the form is
read from the page itself, every named control of ``#step-form`` described by what it is
(text, textarea, number, date, select, multi-select, checkbox, radio group), and answered by
kind through Playwright's real input methods. Anything the page cannot express (a "No" on a
lone checkbox the engine needs, a value missing from a list) is a :class:`DeadEnd`: the test
fails naming the page and the field instead of reaching around the page into the engine.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from playwright.sync_api import Page

from workflows.autopilot import BOOLEANS, FORWARD, NUMBERS

SAMPLE_TEXT = "Nội dung do người thực hiện nhập trên trang."
SAMPLE_URL = "https://tragiang.example.gov.vn/du-thao"

# Every named control of the step form, grouped by name, as the page renders it.
_READ_FORM = """
(form) => {
  const byName = new Map();
  for (const el of form.elements) {
    if (!el.name || el.name === "csrf_token" || el.type === "submit" || el.type === "hidden") continue;
    let field = byName.get(el.name);
    const label = (el.labels && el.labels[0] ? el.labels[0].innerText : "").trim();
    if (!field) {
      field = {name: el.name, tag: el.tagName.toLowerCase(), type: el.type || "", label,
               required: false, multiple: !!el.multiple, disabled: el.disabled,
               value: el.value || "", checked: false, options: [], min: el.min || ""};
      byName.set(el.name, field);
    }
    field.required = field.required || el.required;
    if (el.type === "radio") {
      field.options.push(el.value);
      if (el.checked) { field.value = el.value; field.checked = true; }
      const set = el.closest("fieldset");
      const legend = set && set.querySelector("legend");
      if (legend) field.label = legend.innerText.trim();
    } else if (el.type === "checkbox") {
      field.checked = el.checked;
    } else if (el.tagName === "SELECT") {
      field.options = Array.from(el.options).map((o) => o.value).filter((v) => v !== "");
      field.value = Array.from(el.selectedOptions).map((o) => o.value).filter((v) => v)
        .join(",");
    }
  }
  return Array.from(byName.values());
}
"""


class DeadEnd(AssertionError):
    """A step that cannot be done through the page today (the message says where and why)."""


@dataclass(frozen=True)
class Widget:
    name: str
    kind: str  # text | textarea | number | date | select | multiselect | checkbox | radio
    label: str
    required: bool
    value: str
    checked: bool
    options: tuple[str, ...]
    minimum: str
    disabled: bool

    def describe(self) -> str:
        shown = f"'{self.label}'" if self.label else "(no label)"
        return f"field '{self.name}' {shown}, a {self.kind}"


def _kind(raw: Mapping[str, Any]) -> str:
    if raw["tag"] == "select":
        return "multiselect" if raw["multiple"] else "select"
    if raw["tag"] == "textarea":
        return "textarea"
    if raw["type"] in ("radio", "checkbox", "number", "date"):
        return str(raw["type"])
    return "text"


def read_form(page: Page) -> list[Widget]:
    """The step form's controls, one per field name, in page order."""
    raws = page.locator("#step-form").evaluate(_READ_FORM)
    return [
        Widget(
            name=raw["name"],
            kind=_kind(raw),
            label=raw["label"],
            required=bool(raw["required"]),
            value=str(raw["value"]),
            checked=bool(raw["checked"]),
            options=tuple(raw["options"]),
            minimum=str(raw["min"]),
            disabled=bool(raw["disabled"]),
        )
        for raw in raws
    ]


def decisions(page: Page) -> list[str]:
    """The values of the step's decision buttons (none: the step has one Submit button)."""
    buttons = page.locator("#step-form button[name=decision]")
    return [buttons.nth(i).get_attribute("value") or "" for i in range(buttons.count())]


def forward(options: list[str] | tuple[str, ...]) -> str:
    """The most "moving forward" of the choices (the autopilot's preference order)."""
    for preferred in FORWARD:
        if preferred in options:
            return preferred
    return options[0]


def default_answer(widget: Widget, today: date) -> Any:
    """What a civil servant moving the draft forward would enter; ``None``: leave it alone."""
    name = widget.name
    if widget.kind in ("checkbox", "radio"):
        return BOOLEANS.get(name, True)
    if widget.kind == "number":
        if name in NUMBERS:
            return NUMBERS[name]
        return int(float(widget.minimum)) if widget.minimum and widget.required else None
    if widget.value.strip() or not widget.required:
        return None  # keep what the page already holds; optional fields stay empty
    if widget.kind == "select":
        return forward(widget.options) if widget.options else None
    if widget.kind == "date":
        return (today + timedelta(days=15 if name == "effective_on" else 0)).isoformat()
    if widget.kind in ("text", "textarea"):
        return SAMPLE_URL if name.endswith("url") else SAMPLE_TEXT
    return None


def fill(page: Page, widget: Widget, value: Any, where: str) -> None:
    """Enter ``value`` through the widget as a person would (type, pick, tick)."""
    control = page.locator(f"#step-form [name='{widget.name}']")
    if widget.disabled:
        raise DeadEnd(f"{where}: {widget.describe()} is disabled, so '{value}' cannot be entered")
    if widget.kind == "radio":
        wanted = "true" if value is True else "false" if value is False else str(value)
        if wanted not in widget.options:
            raise DeadEnd(f"{where}: {widget.describe()} offers {widget.options}, not '{wanted}'")
        page.locator(
            f"#step-form input[type=radio][name='{widget.name}'][value='{wanted}']"
        ).check()
    elif widget.kind == "checkbox":
        if value:
            control.check()
        else:
            control.uncheck()  # whether "unticked" reaches the engine as "No" is the page's job
    elif widget.kind in ("select", "multiselect"):
        wanted_all = [str(v) for v in (value if isinstance(value, list | tuple) else [value])]
        missing = [v for v in wanted_all if v not in widget.options]
        if missing:
            raise DeadEnd(f"{where}: {widget.describe()} offers {widget.options}, not {missing}")
        control.select_option(wanted_all)
    else:
        control.fill(str(value))


def answer_form(page: Page, plan: Mapping[str, Any], today: date, where: str) -> dict[str, Any]:
    """Fill every widget (the plan's answers first, else :func:`default_answer`); returns
    what was entered. A planned answer for a field the page does not show is a dead end."""
    widgets = {w.name: w for w in read_form(page)}
    absent = [name for name in plan if name != "decision" and name not in widgets]
    if absent:
        raise DeadEnd(
            f"{where}: the page has no field for {absent} (fields shown: {sorted(widgets)})"
        )
    entered: dict[str, Any] = {}
    for name, widget in widgets.items():
        value = plan[name] if name in plan else default_answer(widget, today)
        if value is None:
            continue
        fill(page, widget, value, where)
        entered[name] = value
    return entered


def invalid_fields(page: Page) -> list[str]:
    """What the browser itself refuses to send (HTML constraint validation), by field."""
    return page.locator("#step-form").evaluate(
        """(form) => Array.from(form.elements)
             .filter((el) => el.willValidate && !el.checkValidity())
             .map((el) => `${el.name}: ${el.validationMessage}`)"""
    )
