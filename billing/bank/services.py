"""Bank statement import and cash matching: the writes.

Cash always goes through billing.services.payments: a bank credit becomes one Payment
(`record_payment`, idempotent by external_id "bank:<transaction id>"), applied with
`apply_payment_to_invoices`. Those services are durable transactions of their own, so the
steps here run one after another rather than inside one transaction:

1. check the allocations with the payment rules (`check_application`): a refusal saves
   nothing;
2. record the payment (idempotent: a retry finds the same payment);
3. claim the bank transaction under a row lock (`_link`): a second click, or a second
   user, gets `already_matched` and applies nothing;
4. apply the cash. If the invoices changed in the meantime the payment stays unapplied
   and the transaction says so: the cash is never lost, only left on account.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from billing.bank.matching import OpenItems, propose
from billing.bank.models import (
    BankStatement,
    BankTransaction,
    Direction,
    MatchStatus,
    MatchSuggestion,
    PayerAccount,
    SuggestedAllocation,
)
from billing.bank.parsers import ParsedStatement, detect_format, parse_statement_file
from billing.error_codes import BillingError
from billing.models import Invoice, PaymentMethod
from billing.services.payments import (
    apply_payment_to_invoices,
    check_application,
    record_payment,
)
from core.audit import audit_next_save
from core.errors import DomainValidationError
from ordermgmt.models import Account


@dataclass
class ImportResult:
    statements: list[BankStatement] = field(default_factory=list)
    created: int = 0
    already_imported: int = 0
    auto_applied: int = 0
    transactions: list[BankTransaction] = field(default_factory=list)


def import_bank_statement(
    *,
    content: bytes,
    actor,
    file_name: str = "",
    file_format: str | None = None,
    auto_apply: bool | None = None,
) -> ImportResult:
    """Read a statement file, store its new transactions with match proposals, and apply
    the exact unambiguous ones when `auto_apply` (default: the setting). A file whose
    control totals disagree is refused whole; re-importing a file changes nothing.
    `file_format` (camt053, bai2, mt940) defaults to what the file's start announces."""
    file_format = file_format or detect_format(content)
    parsed = parse_statement_file(content, file_format=file_format)
    result = _store_statements(
        parsed=parsed, actor=actor, file_name=file_name, file_format=file_format
    )
    if settings.BANK_AUTO_APPLY_EXACT_MATCHES if auto_apply is None else auto_apply:
        for txn in result.transactions:
            top = txn.suggestions.first()
            if top is None or top.confidence < Decimal("0.95"):
                continue
            try:
                apply_bank_credit(transaction=txn, suggestion=top, actor=actor, automatic=True)
            except DomainValidationError:
                continue  # stays in the queue with its proposals
            result.auto_applied += 1
    return result


@transaction.atomic(durable=True)
def _store_statements(
    *, parsed: list[ParsedStatement], actor, file_name: str, file_format: str = "camt053"
) -> ImportResult:
    result = ImportResult()
    items = OpenItems()
    for parsed_statement in parsed:
        statement, _ = BankStatement.objects.get_or_create(
            bank_account=parsed_statement.bank_account,
            statement_id=parsed_statement.statement_id,
            defaults={
                "message_id": parsed_statement.message_id,
                "currency": parsed_statement.currency,
                "opening_balance": parsed_statement.opening_balance,
                "closing_balance": parsed_statement.closing_balance,
                "from_date": parsed_statement.from_date,
                "to_date": parsed_statement.to_date,
                "file_name": file_name[:200],
                "file_format": file_format,
                "imported_by": actor if getattr(actor, "pk", None) else None,
            },
        )
        result.statements.append(statement)
        known = set(
            BankTransaction.objects.filter(
                bank_account=statement.bank_account,
                bank_reference__in=[e.bank_reference for e in parsed_statement.entries],
            ).values_list("bank_reference", flat=True)
        )
        for entry in parsed_statement.entries:
            if entry.bank_reference in known:
                result.already_imported += 1
                continue
            known.add(entry.bank_reference)
            txn = BankTransaction(
                statement=statement,
                bank_account=statement.bank_account,
                bank_reference=entry.bank_reference,
                direction=entry.direction,
                amount=entry.amount,
                currency=entry.currency,
                booking_date=entry.booking_date,
                value_date=entry.value_date,
                payer_name=entry.payer_name,
                payer_account=entry.payer_account,
                remittance_text=entry.remittance_text,
                end_to_end_id=entry.end_to_end_id,
            )
            if entry.direction == Direction.DEBIT:
                txn.transition_to(MatchStatus.IGNORED)
                txn.note = "Money out: not matched to invoices."
            audit_next_save(txn, actor=actor, reason="bank.imported")
            txn.save()
            result.created += 1
            if txn.direction == Direction.CREDIT:
                _suggest(txn, items)
                result.transactions.append(txn)
    return result


def _suggest(txn: BankTransaction, items: OpenItems) -> None:
    proposals = propose(txn, items)
    for rank, proposal in enumerate(proposals):
        suggestion = MatchSuggestion.objects.create(
            transaction=txn,
            account=proposal.account,
            rule=proposal.rule,
            confidence=proposal.confidence,
            reason=proposal.reason[:300],
            rank=rank,
        )
        SuggestedAllocation.objects.bulk_create(
            SuggestedAllocation(suggestion=suggestion, invoice=invoice, amount=amount)
            for invoice, amount in proposal.allocations
        )
    unambiguous = proposals and proposals[0].automatic
    if unambiguous and not (len(proposals) > 1 and proposals[1].automatic):
        items.reserve(proposals[0])
    if proposals:
        txn.account = proposals[0].account
        txn.save(update_fields=["account"])


def refresh_suggestions(*, transaction_: BankTransaction) -> BankTransaction:
    """Propose again for an open credit (invoices may have changed since the import)."""
    with transaction.atomic(durable=True):
        txn = BankTransaction.objects.select_for_update().get(pk=transaction_.pk)
        if txn.status == MatchStatus.OPEN:
            txn.suggestions.all().delete()
            _suggest(txn, OpenItems())
    return txn


def _check_open(txn: BankTransaction) -> None:
    if txn.direction != Direction.CREDIT or txn.status != MatchStatus.OPEN:
        raise DomainValidationError(
            field="transaction",
            code=BillingError.ALREADY_MATCHED,
            message=f"This bank transaction is already {txn.get_status_display().lower()}.",
        )


def _check_allocations(txn, account: Account, allocations) -> None:
    """The payment rules, checked before any cash is recorded (nothing saved on refusal)."""
    available = txn.amount
    for index, (invoice, amount) in enumerate(allocations):
        try:
            check_application(
                what="payment",
                account_id=account.pk,
                currency=txn.currency,
                available=available,
                available_from=txn.booking_date,
                invoice=Invoice.objects.get(pk=invoice.pk),
                amount=amount,
                applied_date=max(txn.booking_date, invoice.invoice_date),
            )
        except DomainValidationError as err:
            raise DomainValidationError(
                field=f"allocations[{index}].{err.field}", code=err.code, message=err.message
            ) from err
        available -= amount
    if len({invoice.pk for invoice, _ in allocations}) != len(allocations):
        raise DomainValidationError(
            field="allocations",
            code=BillingError.DUPLICATE_INVOICE,
            message="Name each invoice once.",
        )


@transaction.atomic(durable=True)
def _link(*, txn: BankTransaction, payment, account, status, actor, automatic, note) -> None:
    txn = BankTransaction.objects.select_for_update().get(pk=txn.pk)
    _check_open(txn)
    txn.transition_to(status)
    txn.payment, txn.account = payment, account
    txn.auto_applied, txn.note = automatic, note[:300]
    txn.matched_by = actor if getattr(actor, "pk", None) else None
    txn.matched_at = timezone.now()
    audit_next_save(txn, actor=actor, reason=f"bank.{status}" + (".auto" if automatic else ""))
    txn.save()
    if txn.payer_account and not automatic:
        PayerAccount.objects.get_or_create(
            payer_account=txn.payer_account, defaults={"account": account}
        )


def _settle(txn, *, account, allocations, actor, automatic, note) -> BankTransaction:
    txn = BankTransaction.objects.get(pk=txn.pk)
    _check_open(txn)
    if account is None:
        raise DomainValidationError(
            field="account", code=BillingError.REQUIRED, message="Say which customer paid."
        )
    _check_allocations(txn, account, allocations)
    payment = record_payment(
        account=account,
        amount=txn.amount,
        currency=txn.currency,
        received_date=txn.booking_date,
        method=PaymentMethod.WIRE,
        reference=txn.bank_reference[:100],
        actor=actor,
        external_id=f"bank:{txn.pk}",
    )
    status = MatchStatus.MATCHED if allocations else MatchStatus.UNAPPLIED
    _link(
        txn=txn,
        payment=payment,
        account=account,
        status=status,
        actor=actor,
        automatic=automatic,
        note=note,
    )
    if allocations:
        applied_on = max([txn.booking_date, *(i.invoice_date for i, _ in allocations)])
        try:
            apply_payment_to_invoices(
                payment=payment, allocations=allocations, actor=actor, applied_date=applied_on
            )
        except DomainValidationError as err:
            _mark_unapplied(txn=txn, actor=actor, note=f"Not applied: {err.message}")
    return BankTransaction.objects.get(pk=txn.pk)


@transaction.atomic(durable=True)
def _mark_unapplied(*, txn, actor, note: str) -> None:
    txn = BankTransaction.objects.select_for_update().get(pk=txn.pk)
    txn.status, txn.note = MatchStatus.UNAPPLIED, note[:300]
    audit_next_save(txn, actor=actor, reason="bank.unapplied")
    txn.save()


def apply_bank_credit(
    *, transaction: BankTransaction, suggestion: MatchSuggestion, actor, automatic: bool = False
) -> BankTransaction:
    """Confirm a proposal: the credit is recorded as the customer's payment and applied as
    proposed (what a short payment leaves open stays open; an overpayment's rest stays
    unapplied on the payment)."""
    if suggestion.transaction_id != transaction.pk:
        raise DomainValidationError(
            field="suggestion",
            code=BillingError.OTHER_TRANSACTION,
            message="That proposal is not this one's.",
        )
    allocations = [(a.invoice, a.amount) for a in suggestion.allocations.select_related("invoice")]
    return _settle(
        transaction,
        account=suggestion.account,
        allocations=allocations,
        actor=actor,
        automatic=automatic,
        note=("Applied automatically: " if automatic else "Confirmed: ") + suggestion.reason,
    )


def split_bank_credit(
    *,
    transaction: BankTransaction,
    account: Account,
    allocations: list[tuple[Invoice, Decimal]],
    actor,
) -> BankTransaction:
    """Apply the credit across invoices chosen by hand; what is not allocated stays
    unapplied on the customer's payment."""
    if not allocations:
        raise DomainValidationError(
            field="allocations",
            code=BillingError.REQUIRED,
            message="Allocate to one invoice or more.",
        )
    return _settle(
        transaction,
        account=account,
        allocations=allocations,
        actor=actor,
        automatic=False,
        note="Split by hand",
    )


def record_unapplied_bank_credit(
    *, transaction: BankTransaction, account: Account, actor
) -> BankTransaction:
    """The customer is known but not what it pays for: its cash waits on account."""
    return _settle(
        transaction, account=account, allocations=[], actor=actor, automatic=False, note=""
    )


@transaction.atomic(durable=True)
def ignore_bank_transaction(*, transaction: BankTransaction, actor, reason: str) -> BankTransaction:
    """A credit that is not customer cash (interest, a transfer between our accounts)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainValidationError(
            field="reason", code=BillingError.REQUIRED, message="Give a reason."
        )
    txn = BankTransaction.objects.select_for_update().get(pk=transaction.pk)
    _check_open(txn)
    txn.status, txn.note = MatchStatus.IGNORED, reason[:300]
    txn.matched_by = actor if getattr(actor, "pk", None) else None
    txn.matched_at = timezone.now()
    audit_next_save(txn, actor=actor, reason=f"bank.ignored: {reason}")
    txn.save()
    return txn
