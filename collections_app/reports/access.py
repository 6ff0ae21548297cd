"""Who may see and do what on the AR reports (checked at the edge: pages and API).

- Aging (page, drill-down, API): whoever may read both invoices and payments, i.e.
  Finance, Auditor, Admin and Order Specialists. Specialists answer customers' questions
  ("what is still open, what is overdue?") and already see every invoice and payment on
  the billing pages, so the aging shows them nothing new. Deal desk does not read
  payments and gets 403.
- Exports (CSV/XLSX): `collections_app.export_finance_reports` (Finance, Auditor, Admin),
  each one logged in ExportLog.
- DSO (page and API): `collections_app.view_finance_reports` (Finance, Auditor, Admin).
- Open-AR import: `collections_app.import_open_ar` (Finance, Admin).

The last two permissions are created by migration 0100_reports_roles on ExportLog's
content type (they belong to no model of their own).
"""

AGING_VIEW_PERMISSIONS = ("billing.view_invoice", "billing.view_payment")
EXPORT_PERMISSION = "collections_app.export_finance_reports"
DSO_VIEW_PERMISSION = "collections_app.view_finance_reports"
IMPORT_PERMISSION = "collections_app.import_open_ar"
