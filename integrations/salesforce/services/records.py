"""Accounts, contacts and products that changed in Salesforce on their own.

Bookings bring their account, billing contact and products along (bookings.py); this
catches later edits to those records, which do not touch the opportunity. Only records
Ledgerline already has are updated, plus new billing contacts of accounts it has: an
account or product nobody booked is not ours to copy.
"""

from __future__ import annotations

from typing import Any

from django.db import DatabaseError, transaction

from ordermgmt.models import Account, Contact, Product

from ..models import IssueKind, LogLevel, Resolution, SyncedRecord
from .context import Incoming, IssueBook, IssueDraft, SyncContext
from .fetch import parse_sf_datetime
from .mapping import ACCOUNT, CONTACT, PRODUCT, describe_problems
from .upsert import RecordUpsert

TARGETS = {
    "Account": (ACCOUNT, Account, "ordermgmt.account"),
    "Contact": (CONTACT, Contact, "ordermgmt.contact"),
    "Product2": (PRODUCT, Product, "ordermgmt.product"),
}


class RecordWriter:
    def __init__(self, ctx: SyncContext) -> None:
        self.ctx = ctx

    def write_page(self, sf_object: str, records: list[dict[str, Any]]) -> None:
        self.ctx.read(sf_object, (r["Id"] for r in records), queried=True)
        checkpoint = self.ctx.checkpoint()
        try:
            with transaction.atomic():
                self._write(sf_object, records)
            self.ctx.committed()
        except DatabaseError:
            self.ctx.restore(checkpoint)
            for record in records:
                one = self.ctx.checkpoint()
                try:
                    with transaction.atomic():
                        self._write(sf_object, [record])
                    self.ctx.committed()
                except DatabaseError as error:
                    self.ctx.restore(one)
                    self.ctx.count(sf_object, "skipped")
                    self.ctx.log(
                        f"Not written: the database refused it ({type(error).__name__}).",
                        level=LogLevel.ERROR,
                        sf_object=sf_object,
                        sf_id=record["Id"],
                        code="write_failed",
                    )

    def _write(self, sf_object: str, records: list[dict[str, Any]]) -> None:
        spec, model, local_model = TARGETS[sf_object]
        ctx = self.ctx
        issues = IssueBook(ctx)
        known = {
            link.sf_id: link
            for link in SyncedRecord.objects.filter(
                sf_object=sf_object, sf_id__in=[r["Id"] for r in records]
            )
        }
        accounts: dict[str, int] = {}
        if sf_object == "Contact":
            accounts = dict(
                SyncedRecord.objects.filter(
                    sf_object="Account",
                    sf_id__in={r.get("AccountId") for r in records if r.get("AccountId")},
                ).values_list("sf_id", "local_id")
            )
        incoming: list[Incoming] = []
        for record in records:
            sf_id = record["Id"]
            link = known.get(sf_id)
            if record.get("IsDeleted"):
                if link is None:
                    ctx.count(sf_object, "ignored")
                    continue
                issues.open(
                    IssueDraft(
                        kind=IssueKind.DELETED,
                        sf_object=sf_object,
                        sf_id=sf_id,
                        code="deleted_in_salesforce",
                        message="Deleted in Salesforce; Ledgerline keeps its copy.",
                        local_model=local_model,
                        local_id=link.local_id,
                        account_id=link.local_id if sf_object == "Account" else None,
                    )
                )
                if not link.deleted_in_salesforce:
                    SyncedRecord.objects.filter(pk=link.pk).update(deleted_in_salesforce=True)
                ctx.count(sf_object, "unchanged")
                continue
            values, problems = spec.convert(record)
            if sf_object == "Contact":
                account_pk = accounts.get(record.get("AccountId") or "")
                if account_pk is None or (link is None and not values.get("is_billing_contact")):
                    ctx.count(sf_object, "ignored")
                    continue
                values["account_id"] = account_pk
            elif link is None:
                ctx.count(sf_object, "ignored")  # arrives with the first deal that books it
                continue
            if problems:
                issues.open(
                    IssueDraft(
                        kind=IssueKind.BAD_RECORD,
                        sf_object=sf_object,
                        sf_id=sf_id,
                        code=problems[0].code,
                        message=describe_problems(problems),
                        local_model=local_model if link else "",
                        local_id=link.local_id if link else None,
                    )
                )
                ctx.count(sf_object, "skipped")
                ctx.log(
                    "Skipped, not written: "
                    + ", ".join(sorted({f"{p.field} {p.code}" for p in problems}))
                    + ".",
                    level=LogLevel.WARNING,
                    sf_object=sf_object,
                    sf_id=sf_id,
                    code=problems[0].code,
                )
                continue
            issues.resolve(IssueKind.BAD_RECORD, sf_id, "", Resolution.FIXED_IN_SALESFORCE)
            incoming.append(
                Incoming(sf_object, sf_id, parse_sf_datetime(record.get("SystemModstamp")), values)
            )
        refs = {
            "Account": lambda item, row: {"account_id": row.pk},
            "Contact": lambda item, row: {"account_id": row.account_id},
        }.get(sf_object)
        RecordUpsert(
            ctx,
            issues,
            spec,
            model,
            history=True,
            natural_key="sku" if sf_object == "Product2" else None,
            issue_refs=refs,
        ).run(incoming)
        issues.flush()
