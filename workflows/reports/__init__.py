"""Leaders' reports: who may read the dashboards, the figures behind them, their XLSX export.

This sub-package owns the dashboards' domain side: :mod:`.access` decides who reads them
and over which agencies, :mod:`.figures` computes every figure with aggregate SQL (``GROUP
BY`` over plan items, drafts, task rows and regulations; workflows are never deserialized),
and :mod:`.export` writes any dashboard's tables to an XLSX workbook (openpyxl). The pages
and charts are in :mod:`web.dashboards`.
"""
