"""Reads for collections: dunning facts and plans, the worklist, one account's collections
page, and the API querysets. No writes.

"Overdue" follows the aging convention: issued, not settled, due date before "as of" (an
invoice due today is not overdue). Amounts are never added across currencies; the
worklist ranks accounts by their overdue balance converted to the reporting currency at
the latest FX rate on or before "as of" (a currency without a rate is shown, not ranked).

Split by domain into `accounts`, `dunning`, `worklist` (its SQL ranking in
`worklist_ranking`, each row's next dunning step in `worklist_next_steps`); everything is
re-exported here.
"""

from billing.selectors.fx import reporting_currency

from .accounts import (
    AccountCollections,
    AccountInvoiceRow,
    ActivityRow,
    Balance,
    account_collections,
    activities_for_api,
    reminders_for_api,
)
from .dunning import (
    InvoicePlan,
    PromiseOutcome,
    PromiseStatus,
    account_facts,
    active_policies,
    billing_contact_emails,
    dunning_plan_batches,
    dunning_plans,
    invoice_facts,
    open_invoices,
    policy_snapshot,
    promise_statuses,
)
from .worklist import (
    WORKLIST_FILTERS,
    WORKLIST_SHOWS,
    Amount,
    LastContact,
    NextAction,
    PromiseRow,
    WorklistPage,
    WorklistRow,
    fx_rates,
    last_contacts,
    next_action,
    worklist,
    worklist_page,
)
from .worklist_ranking import (
    WORKLIST_MAX_PAGE_SIZE,
    WORKLIST_PAGE_SIZE,
    count_overdue_accounts,
)

__all__ = [
    "AccountCollections",
    "AccountInvoiceRow",
    "ActivityRow",
    "Amount",
    "Balance",
    "InvoicePlan",
    "LastContact",
    "NextAction",
    "PromiseOutcome",
    "PromiseRow",
    "PromiseStatus",
    "WORKLIST_FILTERS",
    "WORKLIST_MAX_PAGE_SIZE",
    "WORKLIST_PAGE_SIZE",
    "WORKLIST_SHOWS",
    "WorklistPage",
    "WorklistRow",
    "account_collections",
    "account_facts",
    "active_policies",
    "activities_for_api",
    "billing_contact_emails",
    "count_overdue_accounts",
    "dunning_plan_batches",
    "dunning_plans",
    "fx_rates",
    "invoice_facts",
    "last_contacts",
    "next_action",
    "open_invoices",
    "policy_snapshot",
    "promise_statuses",
    "reminders_for_api",
    "reporting_currency",
    "worklist",
    "worklist_page",
]
