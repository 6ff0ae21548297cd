"""The worklist's next dunning step per account, without a plan for every open invoice.

What dunning does next for an account (worklist.next_action) is decided by a few of its
open invoices: the first one due in carrying order, the first one waiting (the earliest
action date, then carrying order), the first one finished, the first whose steps move
(a customer-level policy's carrying invoice), the first of all (an account-level state:
excluded, no policy, paused), and the invoices on hold by a dispute or a pending promise.
One PostgreSQL query classifies the open invoices of the page's accounts by the same
rules as collections_app.dunning.schedule (the policies' steps passed in, each invoice's
last step done read by index) and returns only those few per account; their plans are
then made by plan_for_invoice itself, so every label and date is the one the per-invoice
path gives (a test holds the two together). The SQLite demo plans every invoice.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta

from django.db import connection

from billing.models import Invoice
from collections_app.dunning.schedule import (
    AccountFacts,
    InvoiceFacts,
    carrying_order,
    plan_for_invoice,
)
from collections_app.models import DunningAction

from .dunning import InvoicePlan, _cover_for_customers, account_facts, dunning_plans

# {accounts}: (account_id, policy_id or NULL when no step can apply, contact allowed on);
# {steps}: (policy_id, offset_days, is_email). States as schedule.plan_for_invoice: an
# account without dunning is 'other' (its plan comes from the account alone), an invoice
# held by a dispute or a pending promise 'held'.
CANDIDATES_SQL = """
WITH accounts (account_id, policy_id, contact_allowed) AS (VALUES {accounts}),
steps (policy_id, offset_days, is_email) AS (VALUES {steps}),
open_invoices AS MATERIALIZED (
  SELECT i.id, i.account_id, i.due_date,
         i.total_amount - i.credited_amount - i.paid_amount AS open_balance,
         a.policy_id, a.contact_allowed, i.id = ANY(%(held)s) AS held,
         i.id = ANY(%(watched)s) AS watched,
         (SELECT max(r.offset_days) FROM collections_app_dunningreminder r
          WHERE r.invoice_id = i.id) AS last_offset
  FROM billing_invoice i JOIN accounts a ON a.account_id = i.account_id
  WHERE i.status = 'issued' AND i.settlement_status <> 'paid'
    AND i.total_amount - i.credited_amount - i.paid_amount > 0
), classified AS (
  SELECT o.*, CASE
      WHEN o.policy_id IS NULL THEN 'other'
      WHEN o.held THEN 'held'
      WHEN reached.offset_days IS NOT NULL THEN
        CASE WHEN reached.is_email AND %(as_of)s < o.contact_allowed THEN 'deferred'
             ELSE 'due' END
      WHEN upcoming.offset_days IS NOT NULL THEN 'scheduled'
      ELSE 'finished' END AS state,
    CASE
      WHEN reached.offset_days IS NOT NULL THEN o.contact_allowed
      WHEN upcoming.is_email AND o.contact_allowed IS NOT NULL
        THEN greatest(o.due_date + upcoming.offset_days, o.contact_allowed)
      ELSE o.due_date + upcoming.offset_days END AS action_date
  FROM open_invoices o
  LEFT JOIN LATERAL (
    SELECT s.offset_days, s.is_email FROM steps s
    WHERE s.policy_id = o.policy_id AND s.offset_days > coalesce(o.last_offset, -100000)
      AND o.due_date + s.offset_days <= %(as_of)s
    ORDER BY s.offset_days DESC LIMIT 1
  ) reached ON true
  LEFT JOIN LATERAL (
    SELECT s.offset_days, s.is_email FROM steps s
    WHERE s.policy_id = o.policy_id AND s.offset_days > coalesce(o.last_offset, -100000)
    ORDER BY s.offset_days LIMIT 1
  ) upcoming ON true
), ranked AS (
  SELECT c.*,
    row_number() OVER (PARTITION BY account_id
                       ORDER BY due_date, open_balance DESC, id) AS nth,
    row_number() OVER (PARTITION BY account_id, state
                       ORDER BY due_date, open_balance DESC, id) AS nth_in_state,
    row_number() OVER (PARTITION BY account_id, state IN ('deferred', 'scheduled')
                       ORDER BY action_date, due_date, open_balance DESC, id) AS nth_waiting,
    row_number() OVER (PARTITION BY account_id,
                                    state IN ('due', 'deferred', 'scheduled', 'finished')
                       ORDER BY due_date, open_balance DESC, id) AS nth_moving
  FROM classified c
)
SELECT r.id, r.account_id, r.due_date, r.open_balance, r.last_offset, i.number,
       i.status, i.settlement_status, i.total_amount, i.credited_amount, i.paid_amount
FROM ranked r JOIN billing_invoice i ON i.id = r.id
WHERE r.nth = 1 OR r.held OR r.watched
   OR (r.state IN ('due', 'finished') AND r.nth_in_state = 1)
   OR (r.state IN ('deferred', 'scheduled') AND r.nth_waiting = 1)
   OR (r.state IN ('due', 'deferred', 'scheduled', 'finished') AND r.nth_moving = 1)
"""


def _accounts_values(facts: dict[int, AccountFacts]) -> tuple[str, dict]:
    rows, params = [], {}
    for n, (account_id, account) in enumerate(facts.items()):
        policy = account.policy
        moving = policy is not None and policy.steps and not account.excluded and not account.paused
        allowed = (
            account.last_contact_on + timedelta(days=policy.min_contact_days)
            if moving and account.last_contact_on is not None
            else None
        )
        rows.append(
            f"(CAST(%(account_{n})s AS integer), CAST(%(policy_{n})s AS integer),"
            f" CAST(%(allowed_{n})s AS date))"
        )
        params |= {
            f"account_{n}": account_id,
            f"policy_{n}": policy.id if moving else None,
            f"allowed_{n}": allowed,
        }
    return ", ".join(rows), params


def _steps_values(facts: dict[int, AccountFacts]) -> tuple[str, dict]:
    policies = {a.policy.id: a.policy for a in facts.values() if a.policy is not None}
    steps = [(p.id, s) for p in policies.values() for s in p.steps]
    if not steps:  # SQL has no empty VALUES
        return "(CAST(NULL AS integer), CAST(NULL AS integer), CAST(NULL AS boolean))", {}
    rows, params = [], {}
    for n, (policy_id, step) in enumerate(steps):
        rows.append(
            f"(CAST(%(step_policy_{n})s AS integer), CAST(%(step_offset_{n})s AS integer),"
            f" CAST(%(step_email_{n})s AS boolean))"
        )
        params |= {
            f"step_policy_{n}": policy_id,
            f"step_offset_{n}": step.offset_days,
            f"step_email_{n}": step.action == DunningAction.EMAIL,
        }
    return ", ".join(rows), params


def next_step_plans(
    account_ids: Iterable[int],
    *,
    as_of: date,
    disputed: set[int],
    promised: set[int],
    watched: set[int] = frozenset(),
) -> tuple[dict[int, list[InvoicePlan]], set[int]]:
    """({account: the plans that decide its next step, in carrying order}, the `watched`
    invoice ids that are open). `disputed` and `promised` are the invoices of these
    accounts with an open dispute and a pending promise (the worklist has read them)."""
    account_ids = list(account_ids)
    if connection.vendor != "postgresql":
        plans = dunning_plans(as_of=as_of, account_ids=account_ids, invoice_fields=["number"])
        by_account: dict[int, list[InvoicePlan]] = defaultdict(list)
        for item in plans:
            by_account[item.invoice.account_id].append(item)
        return by_account, {p.invoice.pk for p in plans} & set(watched)
    facts = account_facts(account_ids)
    accounts_sql, accounts_params = _accounts_values(facts)
    steps_sql, steps_params = _steps_values(facts)
    sql = CANDIDATES_SQL.format(accounts=accounts_sql, steps=steps_sql)
    held = {"held": sorted(disputed | promised), "watched": sorted(watched)}
    params = accounts_params | steps_params | held | {"as_of": as_of}
    invoices = list(Invoice.objects.raw(sql, params))
    plans = []
    for invoice in invoices:
        invoice_facts = InvoiceFacts(
            invoice_id=invoice.pk,
            due_date=invoice.due_date,
            open_amount=invoice.open_balance,
            done_offsets=frozenset(() if invoice.last_offset is None else (invoice.last_offset,)),
            dispute_open=invoice.pk in disputed,
            promise_pending=invoice.pk in promised,
        )
        plan = plan_for_invoice(invoice_facts, facts[invoice.account_id], as_of=as_of)
        plans.append(InvoicePlan(invoice, invoice_facts, plan))
    plans.sort(key=lambda p: (p.invoice.account_id, carrying_order(p.facts)))
    by_account = defaultdict(list)
    for item in _cover_for_customers(plans, facts):
        by_account[item.invoice.account_id].append(item)
    return by_account, {i.pk for i in invoices} & set(watched)
