"""One page of opportunities -> accounts, billing contacts, products, opportunities, lines.

Each opportunity arrives with its account, billing contact, line items and products
(fetch.opportunity_select), is mapped as one unit, and is written whole or not at all:
a unit with any mapping problem (no amount, unknown currency, unknown product, missing
contract dates ...) is a bad record, reported as a SyncIssue and left out, and the rest
of the page goes on. A page is written in one transaction; if the database refuses it,
its units are written again one transaction each, so one bad row can't sink the others.

Flags, never deletions: a booked opportunity that Salesforce deletes, or whose stage
moves away from Closed Won, becomes a SyncIssue; the local opportunity and its contract
stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError, transaction

from ordermgmt.models import (
    Account,
    Contact,
    Opportunity,
    OpportunityLine,
    Product,
)

from ..models import IssueKind, LogLevel, Resolution, SyncedRecord
from .bulk import any_of
from .context import Incoming, IssueBook, IssueDraft, SyncContext
from .mapping import (
    ACCOUNT,
    CLOSED_WON,
    CONTACT,
    DRAFT_ONLY_TERMS,
    LINE,
    OPPORTUNITY,
    PRODUCT,
    canonical,
    custom_field,
    describe_problems,
    relationship_name,
)
from .units import BookingUnit, build_unit, contract_lines_composite
from .upsert import RecordUpsert


@dataclass
class PageResult:
    """What the contract step needs after the page is committed."""

    opportunity_links: dict[str, SyncedRecord] = field(default_factory=dict)
    remote_terms: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The rows written, by local id: the draft contracts are made from them.
    opportunities: dict[int, Opportunity] = field(default_factory=dict)
    accounts: dict[int, Account] = field(default_factory=dict)

    def add(self, other: PageResult) -> None:
        self.opportunity_links.update(other.opportunity_links)
        self.remote_terms.update(other.remote_terms)
        self.opportunities.update(other.opportunities)
        self.accounts.update(other.accounts)


class BookingWriter:
    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx

    def write_page(self, records: list[dict[str, Any]]) -> PageResult:
        self._count_read(records)
        checkpoint = self.ctx.checkpoint()
        try:
            with transaction.atomic():
                result = self._write([build_unit(record) for record in records])
            self.ctx.committed()
            return result
        except DatabaseError:
            # Find the unit the database refuses; write the others one by one. Units are
            # mapped afresh: the failed attempt resolved their references in place.
            self.ctx.restore(checkpoint)
            result = PageResult()
            for record in records:
                unit = build_unit(record)
                unit_checkpoint = self.ctx.checkpoint()
                try:
                    with transaction.atomic():
                        one = self._write([unit])
                    self.ctx.committed()
                except DatabaseError as error:
                    self.ctx.restore(unit_checkpoint)
                    self._report_write_failure(unit, error)
                    continue
                result.add(one)
            return result

    def _count_read(self, records: list[dict[str, Any]]) -> None:
        """Every Salesforce record on the page, the related ones inside each deal too."""
        ctx = self.ctx
        ctx.read("Opportunity", (r["Id"] for r in records), queried=True)
        contact_lookup = custom_field("opportunity_billing_contact")
        contact_key = relationship_name(contact_lookup) if contact_lookup else None
        accounts, contacts, lines, products = [], [], [], []
        for record in records:
            if record.get("Account"):
                accounts.append(record["Account"]["Id"])
            if contact_key and record.get(contact_key):
                contacts.append(record[contact_key]["Id"])
            for line in (record.get("OpportunityLineItems") or {}).get("records") or []:
                lines.append(line["Id"])
                if line.get("Product2"):
                    products.append(line["Product2"]["Id"])
        ctx.read("Account", accounts)
        ctx.read("Contact", contacts)
        ctx.read("OpportunityLineItem", lines)
        ctx.read("Product2", products)

    def _report_write_failure(self, unit: BookingUnit, error: DatabaseError) -> None:
        with transaction.atomic():
            issues = IssueBook(self.ctx)
            issues.open(
                IssueDraft(
                    kind=IssueKind.BAD_RECORD,
                    sf_object="Opportunity",
                    sf_id=unit.sf_id,
                    code="write_failed",
                    message=(
                        f"The database refused the record ({type(error).__name__}); "
                        "nothing of it was written."
                    ),
                )
            )
            issues.flush()
        self.ctx.count("Opportunity", "skipped")
        self.ctx.log(
            f"Not written: the database refused it ({type(error).__name__}).",
            level=LogLevel.ERROR,
            sf_object="Opportunity",
            sf_id=unit.sf_id,
            code="write_failed",
        )

    # --- the page transaction ------------------------------------------------------------

    def _write(self, units: list[BookingUnit]) -> PageResult:
        ctx = self.ctx
        issues = IssueBook(ctx)
        known = {
            link.sf_id: link
            for link in SyncedRecord.objects.filter(
                any_of("sf_id", [u.sf_id for u in units]), sf_object="Opportunity"
            )
        }
        good: list[BookingUnit] = []
        for unit in units:
            link = known.get(unit.sf_id)
            if unit.deleted:
                self._flag_deleted(unit, link, issues)
            elif link is None and not unit.closed_won:
                ctx.count("Opportunity", "ignored")  # never booked: not ours to mirror
            elif unit.blocking_problems:
                self._report_bad(unit, link, issues)
            else:
                good.append(unit)
        result = PageResult()
        if good:
            self._upsert(good, known, issues, result)
        issues.flush()
        return result

    def _flag_deleted(
        self, unit: BookingUnit, link: SyncedRecord | None, issues: IssueBook
    ) -> None:
        if link is None:
            self.ctx.count("Opportunity", "ignored")
            return
        self.ctx.count("Opportunity", "unchanged")
        issues.open(
            IssueDraft(
                kind=IssueKind.DELETED,
                sf_object="Opportunity",
                sf_id=unit.sf_id,
                code="deleted_in_salesforce",
                message=(
                    "The opportunity was deleted in Salesforce. Ledgerline keeps it and its "
                    "contract; decide whether the contract should be cancelled."
                ),
                local_model="ordermgmt.opportunity",
                local_id=link.local_id,
                opportunity_id=link.local_id,
                contract_id=link.contract_id,
            )
        )
        if not link.deleted_in_salesforce:
            SyncedRecord.objects.filter(pk=link.pk).update(deleted_in_salesforce=True)
        self.ctx.log(
            "Deleted in Salesforce: flagged, kept here.",
            level=LogLevel.WARNING,
            sf_object="Opportunity",
            sf_id=unit.sf_id,
            code="deleted_in_salesforce",
        )

    def _report_bad(self, unit: BookingUnit, link: SyncedRecord | None, issues: IssueBook) -> None:
        problems = unit.blocking_problems
        first = problems[0]
        issues.open(
            IssueDraft(
                kind=IssueKind.BAD_RECORD,
                sf_object="Opportunity",
                sf_id=unit.sf_id,
                code=first.code,
                message=describe_problems(problems),
                local_model="ordermgmt.opportunity" if link else "",
                local_id=link.local_id if link else None,
                opportunity_id=link.local_id if link else None,
                contract_id=link.contract_id if link else None,
            )
        )
        self.ctx.count("Opportunity", "skipped")
        codes = ", ".join(sorted({f"{p.field} {p.code}" for p in problems}))
        self.ctx.log(
            f"Skipped, not written: {codes}.",
            level=LogLevel.WARNING,
            sf_object="Opportunity",
            sf_id=unit.sf_id,
            code=first.code,
        )

    def _upsert(
        self,
        units: list[BookingUnit],
        known: dict[str, SyncedRecord],
        issues: IssueBook,
        result: PageResult,
    ) -> None:
        ctx = self.ctx
        issues.watch(u.sf_id for u in units)

        products = RecordUpsert(ctx, issues, PRODUCT, Product, history=True, natural_key="sku").run(
            p for u in units for p in u.products
        )
        accounts = RecordUpsert(
            ctx,
            issues,
            ACCOUNT,
            Account,
            history=True,
            issue_refs=lambda item, row: {"account_id": row.pk},
        ).run(u.account for u in units if u.account)

        contacts_in: list[Incoming] = []
        for unit in units:
            contact = unit.contact
            if contact is None:
                continue
            account_pk = accounts.local_ids.get(contact.values.get("account_id") or "")
            if unit.contact_problems or account_pk is None:
                self._skip_contact(unit, account_pk, issues)
                continue
            contact.values["account_id"] = account_pk
            contacts_in.append(contact)
            issues.resolve(IssueKind.BAD_RECORD, contact.sf_id, "", Resolution.FIXED_IN_SALESFORCE)
        RecordUpsert(
            ctx,
            issues,
            CONTACT,
            Contact,
            history=True,
            issue_refs=lambda item, row: {"account_id": row.account_id},
        ).run(contacts_in)

        for unit in units:
            values = unit.opportunity.values
            account_pk = accounts.local_ids[unit.account.sf_id]
            values["account_id"] = account_pk
            if values.get("contract.payment_terms") is None:
                values["contract.payment_terms"] = accounts.rows[
                    unit.account.sf_id
                ].default_payment_terms
            for line in unit.lines:
                line.values["product_id"] = products.local_ids[line.values["product_id"]]
            values["contract.lines"] = contract_lines_composite(
                {
                    "product_id": line.values["product_id"],
                    "quantity": line.values["quantity"],
                    "unit_price": line.values["unit_price"],
                    "discount_percent": line.values["contract.discount_percent"],
                }
                for line in unit.lines
            )
            result.remote_terms[unit.sf_id] = {
                key: canonical(value)
                for key, value in values.items()
                if key.startswith("contract.") and key not in DRAFT_ONLY_TERMS
            }
            issues.resolve(IssueKind.BAD_RECORD, unit.sf_id, "", Resolution.FIXED_IN_SALESFORCE)

        by_id = {u.sf_id: u for u in units}

        def on_link(link: SyncedRecord, item: Incoming, created: bool) -> None:
            unit = by_id[item.sf_id]
            was_won = link.closed_won
            link.closed_won = unit.closed_won
            if link.deleted_in_salesforce:
                link.deleted_in_salesforce = False
                issues.resolve(IssueKind.DELETED, unit.sf_id, "", Resolution.CONVERGED)
            if unit.closed_won and not was_won:
                if link.contract_id is None:
                    link.contract_pending = True
                issues.resolve(IssueKind.LOST_AFTER_BOOKING, unit.sf_id, "", Resolution.WON_AGAIN)
            elif was_won and not unit.closed_won and not created:
                link.contract_pending = False
                issues.open(
                    IssueDraft(
                        kind=IssueKind.LOST_AFTER_BOOKING,
                        sf_object="Opportunity",
                        sf_id=unit.sf_id,
                        code="stage_changed",
                        message=(
                            f"The stage moved from {CLOSED_WON} to {unit.stage} after it was "
                            "booked. Ledgerline keeps the contract; decide whether it should "
                            "be cancelled."
                        ),
                        local_model="ordermgmt.opportunity",
                        local_id=link.local_id or None,
                        opportunity_id=link.local_id or None,
                        contract_id=link.contract_id,
                        salesforce_value=unit.stage,
                        local_value=CLOSED_WON,
                    )
                )
                ctx.log(
                    f"Stage moved away from {CLOSED_WON} after booking: flagged.",
                    level=LogLevel.WARNING,
                    sf_object="Opportunity",
                    sf_id=unit.sf_id,
                    code="lost_after_booking",
                )

        opportunities = RecordUpsert(
            ctx,
            issues,
            OPPORTUNITY,
            Opportunity,
            history=False,
            hold_contract_terms=lambda link: link.contract_id is not None,
            issue_refs=lambda item, row: {"account_id": row.account_id, "opportunity_id": row.pk},
        ).run((u.opportunity for u in units), on_link=on_link)
        result.opportunity_links.update(opportunities.links)
        result.opportunities.update({row.pk: row for row in opportunities.rows.values()})
        result.accounts.update({row.pk: row for row in accounts.rows.values()})

        lines_in: list[Incoming] = []
        for unit in units:
            opportunity_pk = opportunities.local_ids[unit.sf_id]
            for line in unit.lines:
                line.values["opportunity_id"] = opportunity_pk
                lines_in.append(line)
        RecordUpsert(
            ctx,
            issues,
            LINE,
            OpportunityLine,
            history=False,
            structural_fields=("opportunity_id",),
        ).run(lines_in)
        self._drop_removed_lines(units, opportunities.local_ids, known)

    def _skip_contact(self, unit: BookingUnit, account_pk: int | None, issues: IssueBook) -> None:
        contact = unit.contact
        if unit.contact_problems:
            issues.open(
                IssueDraft(
                    kind=IssueKind.BAD_RECORD,
                    sf_object="Contact",
                    sf_id=contact.sf_id,
                    code=unit.contact_problems[0].code,
                    message=describe_problems(unit.contact_problems),
                    account_id=account_pk,
                )
            )
            self.ctx.count("Contact", "skipped")
            reason = ", ".join(f"{p.field} {p.code}" for p in unit.contact_problems)
        else:
            self.ctx.count("Contact", "ignored")
            reason = "its account is not synced"
        self.ctx.log(
            f"Billing contact not written ({reason}); the opportunity {unit.sf_id} was.",
            level=LogLevel.WARNING,
            sf_object="Contact",
            sf_id=contact.sf_id,
            code=unit.contact_problems[0].code if unit.contact_problems else "account_missing",
        )

    def _drop_removed_lines(
        self,
        units: list[BookingUnit],
        opportunity_ids: dict[str, int],
        known: dict[str, SyncedRecord],
    ) -> None:
        """Line items removed in Salesforce leave the opportunity's mirror too (the
        contract's lines are reconciled separately)."""
        kept = {line.sf_id for u in units for line in u.lines}
        previously_synced = [opportunity_ids[u.sf_id] for u in units if u.sf_id in known]
        if not previously_synced:
            return
        removed = list(
            OpportunityLine.objects.filter(opportunity_id__in=previously_synced)
            .exclude(salesforce_id__in=kept)
            .exclude(salesforce_id__isnull=True)
            .values_list("pk", "salesforce_id")
        )
        if not removed:
            return
        OpportunityLine.objects.filter(pk__in=[pk for pk, _ in removed]).delete()
        SyncedRecord.objects.filter(
            sf_object="OpportunityLineItem", sf_id__in=[sf_id for _, sf_id in removed]
        ).delete()
        for _, sf_id in removed:
            self.ctx.log(
                "Line item removed in Salesforce: removed from the opportunity.",
                sf_object="OpportunityLineItem",
                sf_id=sf_id,
                code="line_removed",
            )
        self.ctx.count("OpportunityLineItem", "deleted", len(removed))
