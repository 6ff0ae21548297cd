"""Billing runs: due, unbilled schedule lines become draft invoices.

Grouping: one invoice per account, contract and currency (a contract has one currency,
so in practice one invoice per contract per run): its lines share payment terms, PO
number and the "why" trail, which an account-wide invoice would mix up.

Chunks of groups commit one at a time. A crashed run leaves whole chunks billed and the
rest pending; running again (the same run or a new one for the date) bills only what is
still pending, so nothing is billed twice. Pending lines are locked with SKIP LOCKED,
so two runs (or chunks on two workers) never take the same line. The bulk writes of a
chunk are in run_writes.py; who owns a running run, and resuming one whose worker died,
in run_lease.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Sum
from django.utils import timezone

from billing.error_codes import BillingError
from billing.models import (
    BillingRun,
    BillingRunException,
    BillingRunStatus,
    BillingScheduleLine,
    ExceptionReason,
    Invoice,
    ScheduleLineKind,
    ScheduleLineStatus,
    UsageRecord,
)
from billing.services.invoicing import build_draft_invoice, default_legal_entity
from billing.services.run_lease import RunSuperseded, claim_run, renew_lease
from billing.services.run_preview import changes_since_last_preview
from billing.services.run_writes import (
    InvoiceTableStatistics,
    insert_invoice_lines,
    mark_billed,
    record_history,
)
from billing.services.tax import tax_rate_for
from core.bulk import insert_rows
from core.errors import DomainValidationError
from core.money import round_money
from ordermgmt.models import Contact, Contract, ContractLine, ContractStatus, Product

BILLABLE_CONTRACT_STATUSES = [ContractStatus.ACTIVE, ContractStatus.EXPIRED]
ON_RUN_QUEUED: list = []  # tasks.py registers the Celery enqueue here
USAGE_BILLING: list = []  # billing.usage registers its rate card and ledger hook here


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
def queue_billing_run(
    *, run_date: date, actor, dry_run: bool = False, confirm_catch_up: bool | None = None
) -> BillingRun:
    """`confirm_catch_up`: the user's answer to the back-billing guard (pages and API pass
    it; None skips it). A real run that would bill more than one period of a contract at
    once is refused unless it is True."""
    if run_date > timezone.localdate() + timezone.timedelta(days=366):
        raise DomainValidationError(
            field="run_date",
            code=BillingError.TOO_FAR_AHEAD,
            message="Run date is more than a year ahead.",
        )
    if confirm_catch_up is False and not dry_run:
        from billing.services.catch_up import refuse_unconfirmed_run

        refuse_unconfirmed_run(run_date=run_date)
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
    """Recorded usage per usage line of a chunk, in one query (summed per contract line and
    day in the database, then per service period here)."""
    usage_lines = [line for line in lines if line.kind == ScheduleLineKind.USAGE]
    if not usage_lines:
        return {}
    by_day: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
    rows = (
        UsageRecord.objects.filter(
            contract_line_id__in={line.contract_line_id for line in usage_lines},
            usage_date__gte=min(line.period_start for line in usage_lines),
            usage_date__lte=max(line.period_end for line in usage_lines),
        )
        .values("contract_line_id", "usage_date")
        .annotate(quantity=Sum("quantity"))
        .order_by()
    )
    for row in rows:
        by_day[row["contract_line_id"]].append((row["usage_date"], row["quantity"]))
    return {
        line.pk: sum(
            (
                quantity
                for day, quantity in by_day[line.contract_line_id]
                if line.period_start <= day <= line.period_end
            ),
            Decimal(0),
        )
        for line in usage_lines
    }


def plan_contract(contract, lines, run_date, has_contact, tax_cache, quantities):
    """What billing this contract's due lines makes: an invoice proposal or a skip.
    `quantities` holds the recorded usage of the chunk's usage lines."""
    skip = _skip_reason(contract, has_contact, tax_cache, run_date)
    if skip:
        return skip, None
    amounts = {}
    for line in lines:
        if line.kind == ScheduleLineKind.USAGE:
            amounts[line.pk] = round_money(quantities[line.pk] * line.unit_price, contract.currency)
        else:
            amounts[line.pk] = round_money(line.amount, contract.currency)  # 4 places in the DB
    return None, amounts


def _usage_plans(states, contract, lines, amounts, quantities, run) -> list[tuple]:
    """What the usage hooks add to this contract's billing (they may re-price usage lines
    in `amounts` and `quantities` from a rate card)."""
    plans = []
    for hook, state in states:
        usage = hook.plan(
            state=state,
            contract=contract,
            lines=lines,
            amounts=amounts,
            quantities=quantities,
            run_date=run.run_date,
            dry_run=run.dry_run,
        )
        if usage is not None:
            plans.append((hook, usage))
    return plans


def _load_chunk(contract_ids: list[int], run_date: date, *, lock: bool):
    lines_qs = due_lines(run_date).filter(contract_id__in=contract_ids)
    if lock:
        lines_qs = lines_qs.select_for_update(skip_locked=True, of=("self",))
    lines = list(lines_qs.order_by("contract_id", "billing_date", "contract_line_id", "sequence"))
    # Each contract line and product loaded once, not once per schedule line (a contract
    # line has a schedule line per period due): model instances were a large part of a
    # chunk's time.
    contract_lines = ContractLine.objects.in_bulk({line.contract_line_id for line in lines})
    products = Product.objects.in_bulk({c.product_id for c in contract_lines.values()})
    for contract_line in contract_lines.values():
        ContractLine.product.field.set_cached_value(
            contract_line, products[contract_line.product_id]
        )
    by_contract: dict[int, list[BillingScheduleLine]] = defaultdict(list)
    for line in lines:
        BillingScheduleLine.contract_line.field.set_cached_value(
            line, contract_lines[line.contract_line_id]
        )
        by_contract[line.contract_id].append(line)
    contracts = Contract.objects.select_related("account").in_bulk(list(by_contract))
    account_ids = {c.account_id for c in contracts.values()}
    has_contact = set(
        Contact.objects.filter(account_id__in=account_ids, is_billing_contact=True)
        .exclude(email="")
        .values_list("account_id", flat=True)
    )
    return by_contract, contracts, has_contact


def bill_chunk(
    run: BillingRun, contract_ids: list[int], tax_cache: dict | None = None, attempt=None
) -> dict:
    """Bill (or preview) one chunk of contracts; one transaction for a real run, written
    only while `attempt` still holds the run's lease."""
    tax_cache = {} if tax_cache is None else tax_cache
    legal_entity = default_legal_entity()
    with transaction.atomic():
        renew_lease(run=run, attempt=attempt)
        by_contract, contracts, has_contact = _load_chunk(
            contract_ids, run.run_date, lock=not run.dry_run
        )
        invoices, invoice_lines, exceptions, preview = [], [], [], []
        billed_lines: list[BillingScheduleLine] = []
        quantities = _usage_quantities([line for lines in by_contract.values() for line in lines])
        usage_states = [(hook, hook.prepare(by_contract)) for hook in USAGE_BILLING]
        usage_plans: list[tuple] = []  # (hook, plan): rate cards, drawdowns, true-ups
        for contract_id, lines in by_contract.items():
            contract = contracts[contract_id]
            skip, plan = plan_contract(
                contract, lines, run.run_date, has_contact, tax_cache, quantities
            )
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
            amounts = plan
            contract_usage = _usage_plans(usage_states, contract, lines, amounts, quantities, run)
            billable = [
                line
                for line in lines
                if not (line.kind == ScheduleLineKind.USAGE and amounts[line.pk] == 0)
            ]
            billed_lines.extend(line for line in lines if line not in billable)
            if not billable and not any(usage.extras for _, usage in contract_usage):
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
            for hook, usage in contract_usage:
                hook.add_lines(usage, invoice, lines_for_invoice, tax_rate)
                usage_plans.append((hook, usage))
            preview.append(_preview_row(contract, invoice, None, lines_for_invoice))
            invoices.append(invoice)
            invoice_lines.append(lines_for_invoice)
        if run.dry_run:
            return {"preview": preview, "exceptions": exceptions, "invoices_created": 0}
        BillingRunException.objects.bulk_create(exceptions)
        insert_rows(invoices)  # COPY, ids from the sequence
        flat_lines = []
        for invoice, lines_for_invoice in zip(invoices, invoice_lines, strict=True):
            for line in lines_for_invoice:
                line.invoice = invoice
                flat_lines.append(line)
        insert_invoice_lines(flat_lines)
        mark_billed(flat_lines, billed_lines)
        for hook, usage in usage_plans:
            hook.write([usage])
        record_history(invoices, run)
        BillingRun.objects.filter(pk=run.pk).update(
            groups_done=F("groups_done") + len(by_contract),
            invoices_created=F("invoices_created") + len(invoices),
            lines_billed=F("lines_billed") + len(flat_lines),
        )
    return {"preview": preview, "exceptions": exceptions, "invoices_created": len(invoices)}


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
    periods = {(line.period_start, line.period_end) for line in lines if line.period_start}
    row.update(
        {
            "periods": len(periods),
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
    """Runs the whole billing run, chunk by chunk (called by the Celery task). A completed
    run is returned as it is; a run held by another live attempt raises RunBusy."""
    attempt = claim_run(run=run)
    if attempt is None:
        run.refresh_from_db()
        return run
    # Run again (a redelivered task, a resume after a crash): its open exceptions are
    # listed afresh rather than twice.
    BillingRunException.objects.filter(billing_run=run, resolved=False).delete()
    contract_ids = due_contract_ids(run.run_date)
    BillingRun.objects.filter(pk=run.pk, attempt=attempt).update(
        groups_total=len(contract_ids), groups_done=0
    )
    run.refresh_from_db()
    size = _chunk_size()
    preview: list[dict] = []  # a dry run's rows, kept on the run; a real run keeps totals
    totals = _RunTotals()
    tax_cache: dict = {}
    statistics = InvoiceTableStatistics(enabled=not run.dry_run)
    try:
        for start in range(0, len(contract_ids), size):
            result = bill_chunk(run, contract_ids[start : start + size], tax_cache, attempt)
            totals.add(result["preview"])
            if run.dry_run:
                preview.extend(result["preview"])
                BillingRun.objects.filter(pk=run.pk).update(groups_done=start + size)
            else:
                statistics.invoices_written(result["invoices_created"])
    except RunSuperseded:
        return BillingRun.objects.get(pk=run.pk)  # the newer attempt finishes the run
    except Exception as exc:
        BillingRun.transition_rows(
            BillingRun.objects.filter(pk=run.pk, attempt=attempt),
            from_status=BillingRunStatus.RUNNING,
            to_status=BillingRunStatus.FAILED,
            finished_at=timezone.now(),
            error=f"{type(exc).__name__}: {exc}",
        )
        raise
    return _complete(run, attempt, totals if run.dry_run else _billed_totals(run), preview)


@transaction.atomic(durable=True)
def _complete(run: BillingRun, attempt, totals: _RunTotals, preview: list[dict]) -> BillingRun:
    run = BillingRun.objects.select_for_update().get(pk=run.pk)
    if run.attempt != attempt or run.status != BillingRunStatus.RUNNING:
        return run  # taken over after the last chunk: the newer attempt completes it
    run.transition_to(BillingRunStatus.COMPLETED)
    run.finished_at = timezone.now()
    run.groups_done = run.groups_total
    run.totals = totals.as_dict()
    if run.dry_run:
        run.preview = preview
        run.changes_since_last_preview = changes_since_last_preview(run)
    run.save()
    return run


def _billed_totals(run: BillingRun) -> _RunTotals:
    """What the run billed, from the database: a resumed run counts the chunks of every
    attempt, not only the last one's."""
    totals = _RunTotals()
    for row in (
        Invoice.objects.filter(billing_run=run)
        .values("currency")
        .annotate(invoices=Count("pk"), total=Sum("total_amount"))
        .order_by()
    ):
        totals.by_currency[row["currency"]].update(
            invoices=row["invoices"], total=round_money(row["total"], row["currency"])
        )
    for row in (
        BillingRunException.objects.filter(billing_run=run, resolved=False)
        .values("reason")
        .annotate(contracts=Count("pk"))
        .order_by()
    ):
        totals.skipped[row["reason"]] = row["contracts"]
    return totals


class _RunTotals:
    """Invoices and their total per currency, and skips per reason, added up chunk by chunk
    (a real run of many contracts keeps no row per contract in memory)."""

    def __init__(self) -> None:
        self.by_currency: dict[str, dict] = defaultdict(
            lambda: {"invoices": 0, "total": Decimal(0)}
        )
        self.skipped: dict[str, int] = defaultdict(int)

    def add(self, rows: list[dict]) -> None:
        for row in rows:
            if "total" in row:
                self.by_currency[row["currency"]]["invoices"] += 1
                self.by_currency[row["currency"]]["total"] += Decimal(row["total"])
            if "skipped" in row:
                self.skipped[row["skipped"]] += 1

    def as_dict(self) -> dict:
        return {
            "by_currency": {
                c: {"invoices": t["invoices"], "total": str(t["total"])}
                for c, t in sorted(self.by_currency.items())
            },
            "skipped": dict(self.skipped),
        }


def open_exceptions():
    return BillingRunException.objects.filter(resolved=False).select_related(
        "account", "contract", "billing_run"
    )


@transaction.atomic(durable=True)
def resolve_run_exception(
    *, exception: BillingRunException, actor, resolution_note: str
) -> BillingRunException:
    """Closes an exception on the work list, recording who closed it, when and how (the
    note says what was fixed, or why the contract is left unbilled)."""
    note = (resolution_note or "").strip()
    if not note:
        raise DomainValidationError(
            field="resolution_note",
            code=BillingError.REQUIRED,
            message="Say how the exception was resolved.",
        )
    exception = BillingRunException.objects.select_for_update().get(pk=exception.pk)
    if exception.resolved:
        raise DomainValidationError(
            field="__all__",
            code=BillingError.ALREADY_RESOLVED,
            message=f"{exception} was already resolved.",
        )
    exception.resolved = True
    exception.resolved_by = actor if getattr(actor, "pk", None) else None
    exception.resolved_at = timezone.now()
    exception.resolution_note = note
    exception.save(update_fields=["resolved", "resolved_by", "resolved_at", "resolution_note"])
    return exception
