// Draws BPMN diagrams with the bpmn-js viewer (loaded before this file as window.BpmnJS).
//
// Any element with data-diagram-url gets the diagram whose XML that URL returns. Optional
// attributes, each a comma-separated list of BPMN element ids:
//   data-completed  -> marked "highlight-done"   (steps already done)
//   data-active     -> marked "highlight-active" (steps open now)
// and two lists of id:value pairs (the tasks dashboard's heatmap):
//   data-heat       -> id:low|mid|high|none, marked "heat-<value>"
//   data-waiting    -> id:count, a badge with the count on the element (an overlay)
// data-error-message is shown in the element when the diagram cannot be drawn.
// Kept in a file (not inline) so the Content-Security-Policy can forbid inline scripts.
"use strict";

(function () {
  const MARKERS = [
    ["completed", "highlight-done"],
    ["active", "highlight-active"],
  ];

  function ids(value) {
    return (value || "")
      .split(",")
      .map((id) => id.trim())
      .filter(Boolean);
  }

  function pairs(value) {
    return ids(value)
      .map((pair) => pair.split(":"))
      .filter((parts) => parts.length === 2 && parts[0] && parts[1]);
  }

  function showError(container, detail) {
    const message = document.createElement("p");
    message.className = "empty";
    message.textContent = container.dataset.errorMessage || "The diagram could not be shown.";
    if (detail) {
      message.title = String(detail);
    }
    container.replaceChildren(message);
    container.dataset.diagramState = "error";
  }

  async function render(container) {
    if (container.dataset.diagramState) {
      return; // already drawn (or being drawn)
    }
    container.dataset.diagramState = "loading";
    if (typeof window.BpmnJS !== "function") {
      showError(container, "bpmn-js is not loaded");
      return;
    }
    try {
      const response = await fetch(container.dataset.diagramUrl, {
        credentials: "same-origin",
        headers: { Accept: "application/xml" },
      });
      if (!response.ok) {
        throw new Error(`HTTP ${response.status}`);
      }
      const xml = await response.text();
      const viewer = new window.BpmnJS({ container });
      const result = await viewer.importXML(xml);
      const canvas = viewer.get("canvas");
      const registry = viewer.get("elementRegistry");
      for (const [attribute, marker] of MARKERS) {
        for (const id of ids(container.dataset[attribute])) {
          if (registry.get(id)) {
            canvas.addMarker(id, marker);
          }
        }
      }
      for (const [id, heat] of pairs(container.dataset.heat)) {
        if (registry.get(id) && /^(low|mid|high|none)$/.test(heat)) {
          canvas.addMarker(id, `heat-${heat}`);
        }
      }
      const overlays = viewer.get("overlays");
      for (const [id, count] of pairs(container.dataset.waiting)) {
        if (registry.get(id) && /^\d+$/.test(count)) {
          const badge = document.createElement("span");
          badge.className = "heat-count";
          badge.textContent = count;
          overlays.add(id, "waiting", { position: { top: -10, right: 10 }, html: badge });
        }
      }
      canvas.zoom("fit-viewport", "auto");
      container.dataset.diagramState = "ready";
      container.dispatchEvent(
        new CustomEvent("diagram:ready", { bubbles: true, detail: { viewer, warnings: result.warnings } }),
      );
    } catch (error) {
      showError(container, error && error.message ? error.message : error);
    }
  }

  function renderAll(root) {
    const scope = root && root.querySelectorAll ? root : document;
    if (scope.matches && scope.matches("[data-diagram-url]")) {
      render(scope);
    }
    scope.querySelectorAll("[data-diagram-url]").forEach(render);
  }

  window.LexflowDiagram = { render, renderAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", () => renderAll(document));
  } else {
    renderAll(document);
  }
  // Parts of pages swapped in by htmx may bring diagrams too.
  document.addEventListener("htmx:afterSettle", (event) => renderAll(event.target));
})();
