// The diff page (web/modeler/templates/modeler/compare.html): the two models drawn by
// bpmn-js's NavigatedViewer, side by side or one at a time, with bpmn-js-differ's verdict as
// markers (added green on the new diagram, removed red on the old one, changed amber and
// moved grey on both). The list of changes beside them is rendered by the server
// (web/modeler/changes.py); clicking an entry selects and centres its element. An element
// the differ reports but the list lacks (e.g. a diagram-only detail) is appended to the list.
// Built by web/modeler/build.mjs into web/modeler/static/build/model-diff.js.
import NavigatedViewer from "bpmn-js/lib/NavigatedViewer";
import { diff } from "bpmn-js-differ";
import spiffworkflow from "./spiffworkflow.json";

const MARKERS = { added: "diff-added", removed: "diff-removed", changed: "diff-changed", moved: "diff-moved" };

function readConfig() {
  const node = document.getElementById("model-diff-config");
  return node ? JSON.parse(node.textContent) : null;
}

async function fetchXml(url) {
  const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/xml" } });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  return response.text();
}

class DiffPage {
  constructor(root, config) {
    this.root = root;
    this.config = config;
    this.texts = config.texts || {};
    this.viewers = {};
    for (const side of ["old", "new"]) {
      this.viewers[side] = new NavigatedViewer({
        container: root.querySelector(`[data-diff-canvas="${side}"]`),
        moddleExtensions: { spiffworkflow },
      });
    }
    this.list = root.querySelector("[data-diff-list]");
  }

  async open() {
    const [oldXml, newXml] = await Promise.all([fetchXml(this.config.old_xml), fetchXml(this.config.new_xml)]);
    await this.viewers.old.importXML(oldXml);
    await this.viewers.new.importXML(newXml);
    for (const viewer of Object.values(this.viewers)) viewer.get("canvas").zoom("fit-viewport");
    this.changes = diff(this.viewers.old.getDefinitions(), this.viewers.new.getDefinitions());
    this.mark();
    this.bind();
    window.lexflowDiff = this;
    this.root.dataset.diffState = "ready";
  }

  // The differ's verdict as { state: [ids] }; "moved" only for elements nothing else names.
  verdict() {
    const c = this.changes;
    const moved = Object.keys(c._layoutChanged).filter(
      (id) => !(id in c._changed) && !(id in c._added) && !(id in c._removed),
    );
    return {
      added: Object.keys(c._added),
      removed: Object.keys(c._removed),
      changed: Object.keys(c._changed),
      moved,
    };
  }

  mark() {
    const verdict = this.verdict();
    const sides = { added: ["new"], removed: ["old"], changed: ["old", "new"], moved: ["old", "new"] };
    for (const [state, ids] of Object.entries(verdict)) {
      for (const id of ids) {
        for (const side of sides[state]) {
          const registry = this.viewers[side].get("elementRegistry");
          if (registry.get(id)) this.viewers[side].get("canvas").addMarker(id, MARKERS[state]);
        }
        this.ensureListed(id, state);
      }
    }
    this.root.dataset.diffMarked = JSON.stringify(verdict);
  }

  ensureListed(id, state) {
    if (!this.list || this.list.querySelector(`[data-element-id="${CSS.escape(id)}"]`)) return;
    if (state === "moved") return; // layout-only details stay on the diagram
    const side = state === "removed" ? "old" : "new";
    const element = this.viewers[side].get("elementRegistry").get(id);
    if (!element) return; // not drawn (e.g. a message definition): nothing to show
    const item = document.createElement("li");
    item.className = `diff-item diff-item-${state}`;
    Object.assign(item.dataset, { diffItem: "", elementId: id, state, side });
    const button = document.createElement("button");
    button.type = "button";
    button.className = "diff-link";
    button.dataset.diffSelect = "";
    const name = element.businessObject.name || id;
    button.append(Object.assign(document.createElement("strong"), { textContent: name }));
    button.append(Object.assign(document.createElement("small"), { textContent: ` ${id} · ${this.texts["Only on the diagram"] || ""}` }));
    item.append(button);
    this.list.append(item);
  }

  bind() {
    this.root.addEventListener("click", (event) => {
      const view = event.target.closest("[data-diff-view]");
      if (view) this.show(view.dataset.diffView);
      const link = event.target.closest("[data-diff-select]");
      if (link) {
        const item = link.closest("[data-diff-item]");
        this.select(item.dataset.elementId, item.dataset.side);
      }
    });
  }

  show(which) {
    this.root.querySelector("[data-diff-diagrams]").dataset.view = which;
    for (const button of this.root.querySelectorAll("[data-diff-view]")) {
      button.setAttribute("aria-pressed", String(button.dataset.diffView === which));
    }
    for (const viewer of Object.values(this.viewers)) viewer.get("canvas").resized();
    // A diagram hidden while an element was centred has no size to centre in: do it again.
    if (this.focused) this.focus(...this.focused);
  }

  // Select and centre an element on its side; the other side shows the same place, so an
  // element added or removed is seen next to where it is missing.
  select(id, side) {
    const view = this.root.querySelector("[data-diff-diagrams]").dataset.view;
    if (view !== "both" && view !== side) this.show(side);
    const other = side === "old" ? "new" : "old";
    const element = this.viewers[side].get("elementRegistry").get(id);
    if (!element) return;
    this.focus(id, side);
    const twin = this.viewers[other].get("elementRegistry").get(id);
    this.viewers[side].get("selection").select(element);
    this.viewers[other].get("selection").select(twin || null);
    this.root.dataset.selected = id;
    for (const item of this.root.querySelectorAll("[data-diff-item]")) {
      item.classList.toggle("diff-item-selected", item.dataset.elementId === id);
    }
  }

  // Centre the element on its side, and the same place on the other side.
  focus(id, side) {
    const other = side === "old" ? "new" : "old";
    const element = this.viewers[side].get("elementRegistry").get(id);
    const box = this.centre(this.viewers[side], element);
    const twin = this.viewers[other].get("elementRegistry").get(id);
    if (twin) this.centre(this.viewers[other], twin);
    else this.viewers[other].get("canvas").viewbox(box);
    this.focused = [id, side];
  }

  centre(viewer, element) {
    const canvas = viewer.get("canvas");
    canvas.zoom(1);
    const points = element.waypoints || [element];
    const xs = points.flatMap((p) => [p.x, p.x + (p.width || 0)]);
    const ys = points.flatMap((p) => [p.y, p.y + (p.height || 0)]);
    const cx = (Math.min(...xs) + Math.max(...xs)) / 2;
    const cy = (Math.min(...ys) + Math.max(...ys)) / 2;
    const { width, height } = canvas.viewbox();
    const box = { x: cx - width / 2, y: cy - height / 2, width, height };
    canvas.viewbox(box);
    return box;
  }
}

function start() {
  const root = document.querySelector("[data-model-diff]");
  const config = readConfig();
  if (!root || !config) return;
  const page = new DiffPage(root, config);
  page.open().catch((error) => {
    const status = root.querySelector("[data-diff-status]");
    status.hidden = false;
    status.className = "diff-status flash flash-error";
    status.textContent = page.texts["The diagram could not be shown."] || String(error);
    root.dataset.diffState = "failed";
    console.error(error);
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
