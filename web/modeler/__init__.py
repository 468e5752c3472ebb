"""The browser modeler: process owners edit, check and deploy BPMN models in the page.

This sub-package owns the modeler's pages and JSON endpoints (``views``, ``drafting``), its
templates, its browser sources (``static/js``, bundled at set-up by ``build.mjs`` with
bpmn-js, bpmn-js-properties-panel and bpmnlint from npm into the git-ignored
``static/build``), the catalogue its properties panel chooses from (``catalog``) and the
checks it runs without deploying (``checks``), and the diff of two versions (``comparing``
pages, ``changes`` the list of what changed). Draft models are stored by
:mod:`workflows.model_drafts`; deploying goes through the engine's deploy, the same
validation as an uploaded file. A user task's form is edited as a field list
(``form_fields``, ``form_editing``) and travels with its draft until deployed; DMN decision
tables are edited as a table of expressions (``dmn_tables``, ``dmn_editing``). Only process
owners and administrators get in.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "modeler",
    __name__,
    url_prefix="/modeler",
    template_folder="templates",
    static_folder="static",
)

from web.modeler import (  # noqa: E402,F401  (routes register on bp)
    comparing,
    dmn_editing,
    drafting,
    form_editing,
    views,
)
