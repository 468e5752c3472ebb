"""Leaders' dashboards: the annual plan against actual, where tasks wait, the registry's effect.

This sub-package owns the dashboard pages (``views``), their server-side SVG charts
(``charts``, pygal) and templates; every figure comes from :mod:`workflows.reports.figures`
and every page exports the same tables to XLSX through :mod:`workflows.reports.export`.
Who may read them, and over which agencies, is :func:`workflows.reports.access.dashboard_scope`:
others get 403. Filters (year, document type, agency, level, period) are in the URL so a
view can be shared.
"""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dashboards", __name__, url_prefix="/dashboards", template_folder="templates")

from web.dashboards import views  # noqa: E402,F401  (routes register on bp)
