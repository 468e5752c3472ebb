// The form field editor of the modeler page: a user task's form as a list of fields (key,
// labels vi/en, type or picker, required, choices) and cross-field rules. The server turns
// the list into the JSON Schema the engine runs and checks it with the deploy checks
// (web/modeler/form_fields.py, form_editing.py); the form is stored in the draft model and
// deployed with it, and the task's formJsonSchemaFilename names it.
"use strict";

import { postJson } from "./server.js";

const TYPES = ["string", "text", "number", "integer", "boolean", "date", "enum", "list", "organisation", "user", "role"];
const PICKERS = ["organisation", "user", "role"];

function el(tag, attrs = {}, children = []) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === "text") node.textContent = value;
    else if (value === true) node.setAttribute(name, "");
    else if (value !== false && value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function choicesText(choices) {
  return (choices || []).map((c) => [c.value, c.label || "", c.label_en || ""].join(" | ")).join("\n");
}

function parseChoices(text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean)
    .map((line) => {
      const [value, label, labelEn] = line.split("|").map((part) => (part || "").trim());
      return { value, label: label || "", label_en: labelEn || "" };
    });
}

export class FormEditor {
  /** ``page`` is the ModelerPage: its config, texts, draft saving and the bpmn-js modeler. */
  constructor(root, page) {
    this.root = root;
    this.page = page;
    this.element = null;
    this.form = null;
  }

  t(msgid) {
    return this.page.t(msgid);
  }

  suggestedName(element) {
    const base = `${this.page.config.key || "form"}_${element.id}`.toLowerCase().replace(/[^a-z0-9_-]/g, "_");
    return `${base.slice(0, 90)}.json`;
  }

  async open(element, currentName) {
    this.element = element;
    const name = currentName || this.suggestedName(element);
    const draftId = this.page.config.draft_id;
    const url = this.page.config.urls.form.replace("__name__", encodeURIComponent(name)) + (draftId ? `?draft_id=${draftId}` : "");
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    const data = response.ok ? await response.json() : { form: { title: "", fields: [], rules: [] } };
    this.name = name;
    this.form = data.form;
    this.form.fields = this.form.fields || [];
    this.form.rules = this.form.rules || [];
    if (!this.form.title) this.form.title = element.businessObject.name || "";
    this.render();
    this.root.hidden = false;
    this.root.scrollIntoView({ block: "nearest" });
  }

  close() {
    this.root.hidden = true;
    this.root.replaceChildren();
  }

  field(index) {
    return this.form.fields[index];
  }

  move(index, by) {
    const fields = this.form.fields;
    const to = index + by;
    if (to < 0 || to >= fields.length) return;
    [fields[index], fields[to]] = [fields[to], fields[index]];
    this.render();
  }

  input(label, value, onInput, attrs = {}) {
    const id = `form-editor-${Math.random().toString(36).slice(2, 9)}`;
    const field = el(attrs.multiline ? "textarea" : "input", { id, ...attrs, multiline: undefined });
    field.value = value || "";
    field.addEventListener("input", () => onInput(field.value));
    return el("div", { class: "form-editor-input" }, [el("label", { for: id, text: label }), field]);
  }

  fieldRow(field, index) {
    const row = el("li", { class: "form-editor-field", "data-field": field.key || `#${index + 1}` });
    const type = el("select", { "aria-label": this.t("Field type") });
    for (const kind of TYPES) {
      const option = el("option", { value: kind, text: this.t(`type:${kind}`) });
      option.selected = (field.type || "string") === kind;
      type.append(option);
    }
    type.addEventListener("change", () => {
      field.type = type.value;
      this.render();
    });
    const required = el("input", { type: "checkbox", "aria-label": this.t("Required") });
    required.checked = !!field.required;
    required.addEventListener("change", () => {
      field.required = required.checked;
    });
    const buttons = el("div", { class: "form-editor-buttons" });
    const button = (text, action) => {
      const b = el("button", { type: "button", class: "link", text });
      b.addEventListener("click", action);
      buttons.append(b);
    };
    button("↑", () => this.move(index, -1));
    button("↓", () => this.move(index, 1));
    button(this.t("Remove"), () => {
      this.form.fields.splice(index, 1);
      this.render();
    });
    row.append(
      this.input(this.t("Field key"), field.key, (v) => (field.key = v.trim()), { name: "key", maxlength: 63 }),
      this.input(this.t("Label (Vietnamese)"), field.label, (v) => (field.label = v), { name: "label" }),
      this.input(this.t("Label (English)"), field.label_en, (v) => (field.label_en = v), { name: "label_en" }),
      el("div", { class: "form-editor-input" }, [el("label", { text: this.t("Field type") }), type]),
      el("label", { class: "form-editor-check" }, [required, this.t("Required")]),
    );
    if (field.type === "enum" || field.type === "list") {
      row.append(
        this.input(this.t("Choices (one per line: value | label vi | label en)"), choicesText(field.choices), (v) => (field.choices = parseChoices(v)), {
          multiline: true,
          rows: 3,
          name: "choices",
        }),
      );
    }
    if (PICKERS.includes(field.type)) {
      row.append(
        this.input(this.t("Choices (expression giving the allowed codes)"), field.choices_expression, (v) => (field.choices_expression = v), {
          name: "choices_expression",
          class: "mono",
        }),
      );
    }
    row.append(buttons);
    return row;
  }

  ruleRow(rule, index) {
    const row = el("li", { class: "form-editor-rule" });
    row.append(
      this.input(this.t("Rule (expression that must hold)"), rule.assert, (v) => (rule.assert = v), { class: "mono", name: "assert" }),
      this.input(this.t("Fields it concerns (comma-separated keys)"), (rule.fields || []).join(", "), (v) => {
        rule.fields = v.split(",").map((s) => s.trim()).filter(Boolean);
      }),
      this.input(this.t("Message (Vietnamese)"), rule.message, (v) => (rule.message = v)),
      this.input(this.t("Message (English)"), rule.message_en, (v) => (rule.message_en = v)),
    );
    const remove = el("button", { type: "button", class: "link", text: this.t("Remove") });
    remove.addEventListener("click", () => {
      this.form.rules.splice(index, 1);
      this.render();
    });
    row.append(remove);
    return row;
  }

  render() {
    const form = this.form;
    const head = el("div", { class: "form-editor-head" }, [
      el("h2", { text: `${this.t("Form fields")} · ${this.element.businessObject.name || this.element.id}` }),
    ]);
    const meta = el("div", { class: "form-editor-meta" }, [
      this.input(this.t("Form file"), this.name, (v) => (this.name = v.trim()), { name: "form_name" }),
      this.input(this.t("Form title (Vietnamese)"), form.title, (v) => (form.title = v), { name: "form_title" }),
      this.input(this.t("Form title (English)"), form.title_en, (v) => (form.title_en = v), { name: "form_title_en" }),
    ]);
    const fields = el("ol", { class: "form-editor-fields" });
    form.fields.forEach((field, index) => fields.append(this.fieldRow(field, index)));
    const addField = el("button", { type: "button", "data-action": "add-field", text: this.t("Add a field") });
    addField.addEventListener("click", () => {
      form.fields.push({ key: "", label: "", label_en: "", type: "string", required: false, choices: [] });
      this.render();
      const keys = this.root.querySelectorAll('input[name="key"]');
      if (keys.length) keys[keys.length - 1].focus();
    });
    const rules = el("ol", { class: "form-editor-rules" });
    form.rules.forEach((rule, index) => rules.append(this.ruleRow(rule, index)));
    const addRule = el("button", { type: "button", text: this.t("Add a rule") });
    addRule.addEventListener("click", () => {
      form.rules.push({ assert: "", fields: [], message: "", message_en: "" });
      this.render();
    });
    const save = el("button", { type: "button", class: "primary", "data-action": "save-form", text: this.t("Save the form in the draft") });
    save.addEventListener("click", () => this.save());
    const cancel = el("button", { type: "button", text: this.t("Close") });
    cancel.addEventListener("click", () => this.close());
    this.problems = el("ul", { class: "form-editor-problems", "data-form-problems": true });
    this.root.replaceChildren(
      head,
      meta,
      fields,
      el("div", { class: "actions" }, [addField]),
      el("h3", { text: this.t("Cross-field rules") }),
      rules,
      el("div", { class: "actions" }, [addRule]),
      this.problems,
      el("div", { class: "actions" }, [save, cancel]),
    );
  }

  showProblems(problems) {
    this.problems.replaceChildren(
      ...problems.map((p) => el("li", { class: "flash flash-error", text: p.field ? `${p.field}: ${p.message}` : p.message })),
    );
  }

  async save() {
    if (!this.page.config.draft_id && !(await this.page.save())) return;
    const url = this.page.config.urls.save_form
      .replace("__draft__", String(this.page.config.draft_id))
      .replace("__name__", encodeURIComponent(this.name));
    const { ok, data } = await postJson(url, { form: this.form });
    if (!ok) {
      this.showProblems((data && data.problems) || [{ field: null, message: (data && data.message) || this.t("The form could not be saved.") }]);
      return;
    }
    this.showProblems([]);
    await this.page.formSaved(this.element, data.name);
    this.root.dataset.saved = data.name;
  }
}
