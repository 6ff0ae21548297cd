"""Billing runs: due, unbilled schedule lines become draft invoices.

Grouping: one invoice per account, contract and currency (a contract has one currency,
so in practice one invoice per contract per run): its lines share payment terms, PO
number and the "why" trail, which an account-wide invoice would mix up.

Chunks of groups commit one at a time. A crashed run leaves whole chunks billed and the
rest pending; running again (the same run or a new one for the date) bills only what is
still pending, so nothing is billed twice. Pending lines are locked with SKIP LOCKED,
so two runs (or chunks on two workers) never take the same line.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.utils import timezone

from billing.models import (
    BillingRun,
    BillingRunException,
    BillingRunStatus,
    BillingScheduleLine,
    ExceptionReason,
    Invoice,
    InvoiceLine,
    ScheduleLineStatus,
    UsageRecord,
)
from billing.money import round_money
from billing.services.invoicing import build_draft_invoice, default_legal_entity
from billing.services.tax import tax_rate_for
from ordermgmt.errors import DomainValidationError
from ordermgmt.models import Contact, Contract, ContractStatus

BILLABLE_CONTRACT_STATUSES = [ContractStatus.ACTIVE, ContractStatus.EXPIRED]
ON_RUN_QUEUED: list = []  # tasks.py registers the Celery enqueue here


@dataclass
class Skip:
    reason: str
    message: str


def _chunk_size() -> int:
    return int(getattr(settings, "LEDGERLINE_BILLING_CHUNK_SIZE", 200))


def due_lines(run_date: date):
    return BillingScheduleLine.objects.filter(
        status=ScheduleLineStatus.PENDING,
        billing_date__lte=run_date,
        contract__status__in=BILLABLE_CONTRACT_STATUSES,
    )


def due_contract_ids(run_date: date) -> list[int]:
    return list(
        due_lines(run_date).order_by("contract_id").values_list("contract_id", flat=True).distinct()
    )


@transaction.atomic(durable=True)
def queue_billing_run(*, run_date: date, actor, dry_run: bool = False) -> BillingRun:
    if run_date > timezone.localdate() + timezone.timedelta(days=366):
        raise DomainValidationError(
            field="run_date", code="too_far_ahead", message="Run date is more than a year ahead."
        )
    run = BillingRun.objects.create(
        run_date=run_date, dry_run=dry_run, created_by=actor if getattr(actor, "pk", None) else None
    )
    for hook in ON_RUN_QUEUED:
        transaction.on_commit(lambda hook=hook: hook(run.pk))
    return run


def _skip_reason(contract: Contract, has_contact: set[int], tax_cache: dict, run_date: date):
    account = contract.account
    if contract.billing_hold:
        return Skip(ExceptionReason.BILLING_HOLD, f"{contract.reference} is on billing hold.")
    if account.pk not in has_contact:
        return Skip(
            ExceptionReason.NO_BILLING_CONTACT,
            f"{account.legal_name} has no billing contact with an e-mail address.",
        )
    if not account.tax_exempt and tax_rate_for(account, run_date, tax_cache) is None:
        where = "-".join(p for p in [account.billing_country, account.billing_region] if p)
        return Skip(
            ExceptionReason.NO_TAX_RATE,
            f"No tax rate for {where or 'an empty country'} on {run_date}.",
        )
    return None


def _usage_quantities(lines: list[BillingScheduleLine]) -> dict[int, Decimal]:
    quantities: dict[int, Decimal] = {}
    for line in lines:
        if line.kind == "usage":
            quantities[line.pk] = UsageRecord.objects.filter(
                contract_line_id=line.contract_line_id,
                usage_date__gte=line.period_start,
                usage_date__lte=line.period_end,
            ).aggregate(q=Sum("quantity"))["q"] or Decimal(0)
    return quantities


def plan_contract(contract, lines, run_date, has_contact, tax_cache):
    """What billing this contract's due lines makes: an invoice proposal or a skip."""
    skip = _skip_reason(contract, has_contact, tax_cache, run_date)
    if skip:
        return skip, None
    quantities = _usage_quantities(lines)
    amounts = {}
    for line in lines:
        if line.kind == "usage":
            amounts[line.pk] = round_money(quantities[line.pk] * line.unit_price, contract.currency)
        else:
            amounts[line.pk] = round_money(line.amount, contract.currency)  # 4 places in the DB
    return None, (amounts, quantities)


def _load_chunk(contract_ids: list[int], run_date: date, *, lock: bool):
    lines_qs = due_lines(run_date).filter(contract_id__in=contract_ids)
    if lock:
        lines_qs = lines_qs.select_for_update(skip_locked=True, of=("self",))
    lines = list(
        lines_qs.select_related("contract_line__product").order_by(
            "contract_id", "billing_date", "contract_line_id", "sequence"
        )
    )
    by_contract: dict[int, list[BillingScheduleLine]] = defaultdict(list)
    for line in lines:
        by_contract[line.contract_id].append(line)
    contracts = Contract.objects.select_related("account").in_bulk(list(by_contract))
    account_ids = {c.account_id for c in contracts.values()}
    has_contact = set(
        Contact.objects.filter(account_id__in=account_ids, is_billing_contact=True)
        .exclude(email="")
        .values_list("account_id", flat=True)
    )
    return by_contract, contracts, has_contact


def bill_chunk(run: BillingRun, contract_ids: list[int], tax_cache: dict | None = None) -> dict:
    """Bill (or preview) one chunk of contracts; one transaction for a real run."""
    tax_cache = {} if tax_cache is None else tax_cache
    legal_entity = default_legal_entity()
    with transaction.atomic():
        by_contract, contracts, has_contact = _load_chunk(
            contract_ids, run.run_date, lock=not run.dry_run
        )
        invoices, invoice_lines, exceptions, preview = [], [], [], []
        billed_lines: list[BillingScheduleLine] = []
        for contract_id, lines in by_contract.items():
            contract = contracts[contract_id]
            skip, plan = plan_contract(contract, lines, run.run_date, has_contact, tax_cache)
            if skip:
                exceptions.append(
                    BillingRunException(
                        billing_run=run,
                        account=contract.account,
                        contract=contract,
                        currency=contract.currency,
                        reason=skip.reason,
                        message=skip.message,
                        lines_skipped=len(lines),
                    )
                )
                preview.append(_preview_row(contract, None, skip))
                continue
            amounts, quantities = plan
            billable = [
                line for line in lines if not (line.kind == "usage" and amounts[line.pk] == 0)
            ]
            billed_lines.extend(line for line in lines if line not in billable)
            if not billable:
                continue
            tax_rate = tax_rate_for(contract.account, run.run_date, tax_cache)
            invoice, lines_for_invoice = build_draft_invoice(
                legal_entity=legal_entity,
                contract=contract,
                invoice_date=run.run_date,
                schedule_lines=billable,
                amounts=amounts,
                quantities=quantities,
                tax_rate=tax_rate,
                billing_run=None if run.dry_run else run,
            )
            preview.append(_preview_row(contract, invoice, None, lines_for_invoice))
            invoices.append(invoice)
            invoice_lines.append(lines_for_invoice)
        if run.dry_run:
            return {"preview": preview, "exceptions": exceptions}
        BillingRunException.objects.bulk_create(exceptions)
        Invoice.objects.bulk_create(invoices)  # PostgreSQL returns the ids
        flat_lines = []
        for invoice, lines_for_invoice in zip(invoices, invoice_lines, strict=True):
            for line in lines_for_invoice:
                line.invoice = invoice
                flat_lines.append(line)
        InvoiceLine.objects.bulk_create(flat_lines)
        _mark_billed(flat_lines, billed_lines)
        _record_history(invoices, run)
        BillingRun.objects.filter(pk=run.pk).update(
            groups_done=F("groups_done") + len(by_contract),
            invoices_created=F("invoices_created") + len(invoices),
            lines_billed=F("lines_billed") + len(flat_lines),
        )
    return {"preview": preview, "exceptions": exceptions}


def _mark_billed(invoice_lines: list[InvoiceLine], unbilled_usage: list) -> None:
    """Point each schedule line at the invoice line that bills it, in one statement
    (Django's bulk_update builds a CASE per row, which dominated the run's time)."""
    if invoice_lines:
        BillingScheduleLine.objects.filter(
            pk__in=[line.schedule_line_id for line in invoice_lines]
        ).update(
            status=ScheduleLineStatus.BILLED,
            invoice_line=Subquery(
                InvoiceLine.objects.filter(
                    schedule_line=OuterRef("pk"),
                    invoice_id__in={line.invoice_id for line in invoice_lines},
                ).values("pk")[:1]
            ),
        )
    for line in invoice_lines:
        if line.schedule_line.kind == "usage":  # the amount is known only now
            BillingScheduleLine.objects.filter(pk=line.schedule_line_id).update(
                amount=line.amount, quantity=line.quantity
            )
    if unbilled_usage:  # usage periods with no usage: nothing to bill
        BillingScheduleLine.objects.filter(pk__in=[line.pk for line in unbilled_usage]).update(
            status=ScheduleLineStatus.BILLED, amount=Decimal(0)
        )


def _record_history(invoices: list[Invoice], run: BillingRun) -> None:
    """bulk_create skips simple-history's signals; write the 'created' records at once."""
    history_model = Invoice.history.model
    now = timezone.now()
    rows = []
    for invoice in invoices:
        values = {f.attname: getattr(invoice, f.attname) for f in Invoice._meta.concrete_fields}
        rows.append(
            history_model(
                **values,
                history_date=now,
                history_type="+",
                history_user_id=run.created_by_id,
                history_change_reason=f"invoice.drafted_by_run:{run.pk}",
            )
        )
    history_model.objects.bulk_create(rows)


def _preview_row(contract, invoice, skip, lines=None) -> dict:
    row = {
        "contract": contract.pk,
        "reference": contract.reference,
        "account": contract.account.legal_name,
        "currency": contract.currency,
    }
    if skip:
        row.update({"skipped": skip.reason, "message": skip.message})
        return row
    row.update(
        {
            "subtotal": str(invoice.subtotal_amount),
            "tax": str(invoice.tax_amount),
            "total": str(invoice.total_amount),
            "lines": [
                {"description": line.description, "amount": str(line.amount)} for line in lines
            ],
        }
    )
    return row


def execute_billing_run(*, run: BillingRun) -> BillingRun:
    """Runs the whole billing run, chunk by chunk (called by the Celery task)."""
    BillingRun.objects.filter(pk=run.pk).update(
        status=BillingRunStatus.RUNNING, started_at=timezone.now(), error=""
    )
    # Run again (a redelivered task, a retry after a crash): its open exceptions are
    # listed afresh rather than twice.
    BillingRunException.objects.filter(billing_run=run, resolved=False).delete()
    contract_ids = due_contract_ids(run.run_date)
    BillingRun.objects.filter(pk=run.pk).update(groups_total=len(contract_ids), groups_done=0)
    run.refresh_from_db()
    size = _chunk_size()
    preview: list[dict] = []
    tax_cache: dict = {}
    try:
        for start in range(0, len(contract_ids), size):
            result = bill_chunk(run, contract_ids[start : start + size], tax_cache)
            preview.extend(result["preview"])
            if run.dry_run:
                BillingRun.objects.filter(pk=run.pk).update(groups_done=start + size)
    except Exception as exc:
        BillingRun.objects.filter(pk=run.pk).update(
            status=BillingRunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}",
        )
        raise
    run.refresh_from_db()
    run.status = BillingRunStatus.COMPLETED
    run.finished_at = timezone.now()
    run.groups_done = run.groups_total
    run.totals = _totals(run, preview)
    if run.dry_run:
        run.preview = preview
        run.changes_since_last_preview = _changes_since_last_preview(run)
    run.save()
    return run


def _totals(run: BillingRun, preview: list[dict]) -> dict:
    totals: dict[str, dict] = defaultdict(lambda: {"invoices": 0, "total": Decimal(0)})
    for row in preview:
        if "total" in row:
            totals[row["currency"]]["invoices"] += 1
            totals[row["currency"]]["total"] += Decimal(row["total"])
    skipped = defaultdict(int)
    for row in preview:
        if "skipped" in row:
            skipped[row["skipped"]] += 1
    return {
        "by_currency": {
            c: {"invoices": t["invoices"], "total": str(t["total"])}
            for c, t in sorted(totals.items())
        },
        "skipped": dict(skipped),
    }


def _changes_since_last_preview(run: BillingRun) -> dict:
    previous = (
        BillingRun.objects.filter(
            run_date=run.run_date, dry_run=True, status=BillingRunStatus.COMPLETED
        )
        .exclude(pk=run.pk)
        .order_by("-finished_at")
        .first()
    )
    if previous is None:
        return {"previous_preview": None}
    before = {row["contract"]: row for row in previous.preview}
    after = {row["contract"]: row for row in run.preview}
    added = [after[c]["reference"] for c in after.keys() - before.keys()]
    removed = [before[c]["reference"] for c in before.keys() - after.keys()]
    changed = [
        {
            "reference": after[c]["reference"],
            "before": before[c].get("total") or before[c].get("skipped"),
            "after": after[c].get("total") or after[c].get("skipped"),
        }
        for c in after.keys() & before.keys()
        if (before[c].get("total"), before[c].get("skipped"))
        != (after[c].get("total"), after[c].get("skipped"))
    ]
    return {
        "previous_preview": previous.pk,
        "added": sorted(added),
        "removed": sorted(removed),
        "changed": sorted(changed, key=lambda x: x["reference"]),
    }


def open_exceptions():
    return BillingRunException.objects.filter(resolved=False).select_related(
        "account", "contract", "billing_run"
    )
