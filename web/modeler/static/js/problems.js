// The problems panel: bpmnlint's findings (run in the browser on every change) and
// Lexflow's own rules (run by the server, debounced) in one list; a click on a problem
// selects its element on the canvas and scrolls it into view.
"use strict";

const SERVER_DELAY_MS = 700;

function severityOf(category) {
  return category === "error" ? "error" : "warning";
}

export class ProblemsPanel {
  constructor({ container, summary, modeler, serverLint, texts }) {
    this.container = container;
    this.summary = summary;
    this.modeler = modeler;
    this.serverLint = serverLint;
    this.texts = texts || {};
    this.client = [];
    this.server = [];
    this.serverState = "idle";
    this.timer = null;
    this.generation = 0;
    const eventBus = modeler.get("eventBus");
    eventBus.on("linting.completed", (event) => {
      this.client = this.flatten(event.issues || {});
      this.render();
    });
    eventBus.on(["import.done", "commandStack.changed"], () => this.scheduleServer());
  }

  t(msgid) {
    return this.texts[msgid] || msgid;
  }

  flatten(issues) {
    const problems = [];
    for (const [shown, reports] of Object.entries(issues)) {
      for (const report of reports) {
        problems.push({
          source: "bpmnlint",
          rule: `bpmnlint/${report.rule}`,
          severity: severityOf(report.category),
          element_id: report.actualElementId || report.id || shown,
          message: report.message,
        });
      }
    }
    return problems;
  }

  scheduleServer() {
    if (!this.serverLint) return;
    clearTimeout(this.timer);
    this.serverState = "pending";
    this.renderSummary();
    this.timer = setTimeout(() => this.runServer(), SERVER_DELAY_MS);
  }

  /** Lint now (the "check" button, or before a save); resolves with the server's answer. */
  async runServer() {
    clearTimeout(this.timer);
    const generation = ++this.generation;
    this.serverState = "running";
    this.renderSummary();
    let answer;
    try {
      const { xml } = await this.modeler.saveXML({ format: true });
      answer = await this.serverLint.lint(xml);
    } catch (error) {
      answer = { ok: false, status: 0, data: null };
    }
    if (generation !== this.generation) return answer;
    if (answer.data && Array.isArray(answer.data.problems)) {
      this.server = answer.data.problems.map((p) => ({ source: "lexflow", ...p }));
      this.serverState = "done";
    } else {
      this.server = [];
      this.serverState = "failed";
      this.serverMessage = (answer.data && answer.data.message) || this.t("The server could not check the model.");
    }
    this.render();
    return answer;
  }

  all() {
    const order = { error: 0, warning: 1 };
    return [...this.server, ...this.client].sort(
      (a, b) => (order[a.severity] ?? 2) - (order[b.severity] ?? 2),
    );
  }

  elementName(id) {
    const element = id && this.modeler.get("elementRegistry").get(id);
    const name = element && element.businessObject && element.businessObject.name;
    return name ? `${name} (${id})` : id || this.t("the whole model");
  }

  select(id) {
    const registry = this.modeler.get("elementRegistry");
    const element = id && registry.get(id);
    if (!element) return;
    this.modeler.get("selection").select(element);
    this.modeler.get("canvas").scrollToElement(element);
  }

  renderSummary() {
    if (!this.summary) return;
    const problems = this.all();
    const errors = problems.filter((p) => p.severity === "error").length;
    const warnings = problems.length - errors;
    let text = `${errors} ${this.t("errors")}, ${warnings} ${this.t("warnings")}`;
    if (this.serverState === "pending" || this.serverState === "running") {
      text += ` · ${this.t("checking on the server…")}`;
    } else if (this.serverState === "failed") {
      text += ` · ${this.serverMessage}`;
    }
    this.summary.textContent = text;
    this.summary.dataset.state = this.serverState;
    this.container.dataset.errors = String(errors);
  }

  render() {
    this.renderSummary();
    const list = document.createElement("ul");
    list.className = "problems";
    const problems = this.all();
    if (!problems.length) {
      const empty = document.createElement("li");
      empty.className = "problem-none";
      empty.textContent = this.t("No problems found.");
      list.append(empty);
    }
    for (const problem of problems) {
      const item = document.createElement("li");
      item.className = `problem problem-${problem.severity}`;
      item.dataset.rule = problem.rule || "";
      item.dataset.elementId = problem.element_id || "";
      const button = document.createElement("button");
      button.type = "button";
      button.className = "problem-link";
      const badge = document.createElement("span");
      badge.className = `badge badge-${problem.severity}`;
      badge.textContent = problem.severity === "error" ? this.t("Error") : this.t("Warning");
      const where = document.createElement("strong");
      where.textContent = this.elementName(problem.element_id);
      const message = document.createElement("span");
      message.className = "problem-message";
      message.textContent = problem.message;
      const rule = document.createElement("small");
      rule.textContent = problem.rule || "";
      button.append(badge, " ", where, " ", message, " ", rule);
      button.addEventListener("click", () => this.select(problem.element_id));
      item.append(button);
      list.append(item);
    }
    this.container.replaceChildren(list);
  }
}
