// The browser modeler page (web/modeler/templates/modeler/edit.html): bpmn-js's Modeler with
// the properties panel, Lexflow's own properties (properties.js), bpmnlint's recommended
// rules compiled at build time, and the problems panel that adds Lexflow's server rules.
// Built by web/modeler/build.mjs into web/modeler/static/build/modeler.js.
import BpmnModeler from "bpmn-js/lib/Modeler";
import { BpmnPropertiesPanelModule, BpmnPropertiesProviderModule } from "bpmn-js-properties-panel";
import lintModule from "bpmn-js-bpmnlint";
import bpmnlintConfig from "lexflow:bpmnlint-config";
import spiffworkflow from "./spiffworkflow.json";
import lexflowProperties, { setSpiffProperty } from "./properties.jsx";
import { FormEditor } from "./form_editor.js";
import { ProblemsPanel } from "./problems.js";
import { Checker, ServerLint, postJson } from "./server.js";

function readConfig() {
  const node = document.getElementById("modeler-config");
  return node ? JSON.parse(node.textContent) : null;
}

function download(name, content, type) {
  const url = URL.createObjectURL(new Blob([content], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

class ModelerPage {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.texts = config.texts || {};
    this.status = root.querySelector("[data-modeler-status]");
    this.dirty = false;
    const checker = new Checker(config.urls.check_expression);
    const catalog = config.catalog || {};
    config.catalog = catalog;
    catalog.forms = catalog.forms || [];
    for (const name of config.draft_forms || []) {
      if (!catalog.forms.some((f) => f.key === name)) catalog.forms.push({ key: name, title: null });
    }
    const formRoot = root.querySelector("[data-form-editor]");
    this.formEditor = formRoot ? new FormEditor(formRoot, this) : null;
    const openFormEditor = this.formEditor ? (element, name) => this.formEditor.open(element, name) : null;
    this.modeler = new BpmnModeler({
      container: root.querySelector("[data-modeler-canvas]"),
      propertiesPanel: {
        parent: root.querySelector("[data-modeler-properties]"),
        layout: { groups: { lexflow: { open: true } } },
      },
      additionalModules: [BpmnPropertiesPanelModule, BpmnPropertiesProviderModule, lexflowProperties, lintModule],
      moddleExtensions: { spiffworkflow },
      linting: { bpmnlint: bpmnlintConfig, active: true },
      lexflow: { catalog, texts: this.texts, checker, openFormEditor },
    });
    this.problems = new ProblemsPanel({
      container: root.querySelector("[data-modeler-problems]"),
      summary: root.querySelector("[data-modeler-summary]"),
      modeler: this.modeler,
      serverLint: new ServerLint(config.urls.lint, config.urls.check, () => ({
        id: this.config.draft_id,
        forms: this.config.draft_forms,
      })),
      texts: this.texts,
    });
    this.modeler.get("eventBus").on("commandStack.changed", () => {
      this.dirty = true;
      root.dataset.dirty = "true";
    });
    this.bind();
  }

  t(msgid) {
    return this.texts[msgid] || msgid;
  }

  say(message, kind = "info") {
    this.status.textContent = message;
    this.status.className = `modeler-status flash flash-${kind}`;
    this.status.hidden = !message;
  }

  async open(xml) {
    try {
      const result = await this.modeler.importXML(xml);
      this.modeler.get("canvas").zoom("fit-viewport", "auto");
      this.root.dataset.modelerState = "ready";
      if (result.warnings && result.warnings.length) {
        this.say(`${this.t("The diagram was opened with warnings:")} ${result.warnings.length}`, "info");
      }
    } catch (error) {
      this.root.dataset.modelerState = "error";
      this.say(`${this.t("The diagram could not be opened:")} ${error.message || error}`, "error");
    }
  }

  async load() {
    if (this.config.xml) {
      return this.open(this.config.xml);
    }
    const response = await fetch(this.config.urls.xml, { credentials: "same-origin" });
    if (!response.ok) {
      this.say(this.t("The diagram could not be opened:") + ` HTTP ${response.status}`, "error");
      return undefined;
    }
    return this.open(await response.text());
  }

  async xml() {
    const { xml } = await this.modeler.saveXML({ format: true });
    return xml;
  }

  async save() {
    const xml = await this.xml();
    const draftId = this.config.draft_id;
    const url = draftId ? this.config.urls.save : this.config.urls.create;
    const { ok, data } = await postJson(url, { xml, base_definition_id: this.config.base_definition_id || null });
    if (!ok || !data) {
      this.say((data && data.message) || this.t("The draft could not be saved."), "error");
      return false;
    }
    if (!draftId) {
      this.config.draft_id = data.id;
      this.config.urls.save = data.save_url;
      window.history.replaceState(null, "", data.url);
    }
    this.dirty = false;
    this.root.dataset.dirty = "false";
    this.root.dataset.draftId = String(data.id);
    this.say(`${this.t("Draft saved")}: ${data.key} · ${data.updated_at}`, "info");
    return true;
  }

  /** The form editor stored ``name`` in the draft: the task names it and the draft is saved. */
  async formSaved(element, name) {
    const forms = this.config.catalog.forms;
    if (!forms.some((f) => f.key === name)) forms.push({ key: name, title: null });
    this.config.draft_forms = [...new Set([...(this.config.draft_forms || []), name])];
    setSpiffProperty(element, "formJsonSchemaFilename", name, this.modeler.get("bpmnFactory"), this.modeler.get("modeling"));
    if (await this.save()) {
      this.say(`${this.t("The form was saved in the draft")}: ${name}`, "info");
    }
  }

  async check() {
    const answer = await this.problems.runServer();
    if (answer && answer.data && Array.isArray(answer.data.problems)) {
      const errors = answer.data.problems.filter((p) => p.severity === "error").length;
      this.say(
        errors ? `${this.t("The model cannot be deployed yet")}: ${errors} ${this.t("errors")}` : this.t("Lexflow's rules find no error."),
        errors ? "error" : "info",
      );
    }
  }

  async deploy(form) {
    const note = (form.elements.note.value || "").trim();
    if (!note) {
      this.say(this.t("Write a note saying what changed and why."), "error");
      form.elements.note.focus();
      return;
    }
    const xml = await this.xml();
    if (this.dirty && this.config.draft_id && !(await this.save())) return;
    const { ok, data } = await postJson(this.config.urls.deploy, { xml, note, draft_id: this.config.draft_id || null });
    if (ok && data) {
      this.dirty = false;
      this.root.dataset.deployed = String(data.version);
      const link = document.createElement("a");
      link.href = data.url;
      link.textContent = `${data.key} v${data.version}`;
      this.say(data.created ? `${this.t("Deployed")}: ` : `${this.t("Unchanged (already deployed)")}: `, "info");
      this.status.append(link);
      return;
    }
    if (data && Array.isArray(data.problems)) {
      this.problems.server = data.problems.map((p) => ({ source: "lexflow", ...p }));
      this.problems.render();
    }
    this.say((data && data.message) || this.t("The deployment was refused; nothing was stored."), "error");
  }

  async exportBpmn() {
    download(`${this.config.key || "model"}.bpmn`, await this.xml(), "application/xml");
  }

  async exportSvg() {
    const { svg } = await this.modeler.saveSVG();
    download(`${this.config.key || "model"}.svg`, svg, "image/svg+xml");
  }

  bind() {
    const on = (name, handler) => {
      const button = this.root.querySelector(`[data-action="${name}"]`);
      if (button) button.addEventListener("click", (event) => {
        event.preventDefault();
        handler();
      });
    };
    on("save", () => this.save());
    on("check", () => this.check());
    on("export-bpmn", () => this.exportBpmn());
    on("export-svg", () => this.exportSvg());
    const deployForm = this.root.querySelector("[data-deploy-form]");
    if (deployForm) {
      deployForm.addEventListener("submit", (event) => {
        event.preventDefault();
        this.deploy(deployForm);
      });
    }
  }
}

function start() {
  const root = document.querySelector("[data-modeler]");
  const config = readConfig();
  if (!root || !config) return;
  const page = new ModelerPage(root, config);
  window.lexflowModeler = page; // for the browser test and the console; nothing depends on it
  page.load();
}

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start);
} else {
  start();
}
