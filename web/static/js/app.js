// Lexflow page behaviour that needs script (everything works without it, except the diagram).
// Kept in a file (not inline) so the Content-Security-Policy can forbid inline scripts.
"use strict";

document.addEventListener("submit", (event) => {
  // Ask before irreversible decisions (buttons carry data-confirm).
  const button = event.submitter;
  if (button && button.dataset.confirm && !window.confirm(button.dataset.confirm)) {
    event.preventDefault();
  }
});
