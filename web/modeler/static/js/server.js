// The modeler's calls to the Lexflow server: JSON with the session cookie and the page's
// CSRF token (X-CSRFToken, as every state-changing call riding on the session must send).
"use strict";

export function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.content : "";
}

export async function postJson(url, body) {
  const response = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
    body: JSON.stringify(body),
  });
  let data = null;
  try {
    data = await response.json();
  } catch (error) {
    data = null;
  }
  return { status: response.status, ok: response.ok, data };
}

/** Syntax checks of expressions and scripts by the engine's own checker, remembered per text. */
export class Checker {
  constructor(url) {
    this.url = url;
    this.cache = new Map();
  }

  check(kind, source) {
    const key = `${kind}\u0000${source}`;
    if (!this.cache.has(key)) {
      const pending = postJson(this.url, { kind, source }).then(({ ok, data }) =>
        ok && data ? data : { ok: true, message: "" },
      );
      this.cache.set(key, pending);
      if (this.cache.size > 500) {
        this.cache.delete(this.cache.keys().next().value);
      }
    }
    return this.cache.get(key);
  }
}

/**
 * Lexflow's server lint: POST /api/v1/models/lint when the server has it; otherwise the
 * modeler's own check, which runs the deploy validation without storing anything. Both
 * answer {ok, problems: [{rule, severity, element_id, message}]}.
 */
export class ServerLint {
  constructor(lintUrl, fallbackUrl, draft = () => ({})) {
    this.lintUrl = lintUrl;
    this.fallbackUrl = fallbackUrl;
    this.useFallback = !lintUrl;
    this.draft = draft; // {id, forms}: a draft's own forms are known to the modeler's check only
  }

  async lint(xml) {
    const draft = this.draft() || {};
    if (draft.id && draft.forms && draft.forms.length) {
      return postJson(this.fallbackUrl, { kind: "bpmn", xml, draft_id: draft.id });
    }
    if (!this.useFallback) {
      const answer = await postJson(this.lintUrl, { kind: "bpmn", xml });
      if (answer.status !== 404 && answer.status !== 405) {
        return answer;
      }
      this.useFallback = true;
    }
    return postJson(this.fallbackUrl, { kind: "bpmn", xml });
  }
}
