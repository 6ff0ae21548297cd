"""What the sync reads from Salesforce: SOQL built from the mapping table, page by page.

Bookings are read as whole units: each Opportunity row carries its Account and billing
contact (parent relationship fields) and its line items with their Product2 (child
subquery), so one opportunity and everything its draft contract needs arrive together.

Incremental reads use each object's own watermark: `WHERE SystemModstamp > <newest
SystemModstamp a successful run read>`, with tz-aware literals in UTC and millisecond
precision. Incremental queries go to `queryAll` so that deleted rows (IsDeleted = true)
come back too. Paging follows nextRecordsUrl (client.query_pages).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime

from ..client import QueryPage, SalesforceClient
from .mapping import (
    ACCOUNT,
    CLOSED_WON,
    CONTACT,
    CURRENCY_FIELD,
    LINE,
    OPPORTUNITY,
    PRODUCT,
    custom_field,
    relationship_name,
)
from .orgs import OrgProfile

# Ids per "Id IN (...)" query: keeps the GET URL (the SOQL is in it) under 16 KB.
IDS_PER_QUERY = 200
LINE_RELATIONSHIP = "OpportunityLineItems"
BOOKED_ACCOUNTS = f"SELECT AccountId FROM Opportunity WHERE StageName = '{CLOSED_WON}'"


def soql_datetime(value: datetime) -> str:
    """2026-03-02T09:00:00.123Z: aware, UTC, milliseconds (SystemModstamp's precision)."""
    if value.tzinfo is None:
        raise ValueError("SOQL datetimes must be timezone-aware")
    value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def parse_sf_datetime(value: str | None) -> datetime | None:
    """Salesforce's 2026-03-02T09:00:00.123+0000 -> an aware datetime."""
    if not value:
        return None
    return datetime.fromisoformat(value)


def soql_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _prefixed(prefix: str, names: Iterable[str]) -> list[str]:
    return [f"{prefix}.{name}" for name in names]


def opportunity_select(multi_currency: bool = True) -> str:
    """SELECT ... FROM Opportunity with the account, billing contact, lines and products."""
    mc = {"multi_currency": multi_currency}
    line_fields = [*LINE.soql_fields(**mc), *_prefixed("Product2", PRODUCT.soql_fields(**mc))]
    fields = [*OPPORTUNITY.soql_fields(**mc), *_prefixed("Account", ACCOUNT.soql_fields(**mc))]
    contact_lookup = custom_field("opportunity_billing_contact")
    if contact_lookup:
        fields += _prefixed(relationship_name(contact_lookup), CONTACT.soql_fields(**mc))
    fields.append(f"(SELECT {', '.join(line_fields)} FROM {LINE_RELATIONSHIP})")
    return f"SELECT {', '.join(fields)} FROM Opportunity"


def simple_select(sf_object: str, multi_currency: bool = True) -> str:
    spec = {"Account": ACCOUNT, "Contact": CONTACT, "Product2": PRODUCT}[sf_object]
    fields = spec.soql_fields(multi_currency=multi_currency)
    return f"SELECT {', '.join(fields)} FROM {sf_object}"


def since(watermark: datetime | None) -> str:
    return f"SystemModstamp > {soql_datetime(watermark)}" if watermark else ""


def _where(*conditions: str) -> str:
    parts = [c for c in conditions if c]
    if not parts:
        return ""
    return " WHERE " + " AND ".join(f"({c})" if " OR " in c else c for c in parts)


def id_chunks(ids: Iterable[str], size: int = IDS_PER_QUERY) -> Iterator[list[str]]:
    chunk: list[str] = []
    for sf_id in ids:
        chunk.append(sf_id)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class BookingReader:
    """The queries of one run; counts what it fetched."""

    def __init__(self, client: SalesforceClient, org: OrgProfile | None = None) -> None:
        self.client = client
        self.org = org or OrgProfile.multi_currency_org()

    def _select(self) -> str:
        return opportunity_select(self.org.multi_currency)

    def _in_org_currency(self, pages: Iterable[QueryPage], sf_object: str) -> Iterator[QueryPage]:
        """An org without multi-currency has no CurrencyIsoCode: every amount is in the
        org's default currency, which is what the field would say."""
        if self.org.multi_currency:
            yield from pages
            return
        for page in pages:
            for record in page.records:
                if record.get("IsDeleted"):
                    continue
                if sf_object in ("Opportunity", "Account"):
                    record[CURRENCY_FIELD] = self.org.default_currency
                if sf_object == "Opportunity" and record.get("Account"):
                    record["Account"][CURRENCY_FIELD] = self.org.default_currency
            yield page

    # Opportunities --------------------------------------------------------------------

    def _opportunities(self, soql: str, *, include_deleted: bool = False) -> Iterator[QueryPage]:
        pages = self.client.query_pages(soql, include_deleted=include_deleted)
        return self._in_org_currency(self._with_all_lines(pages), "Opportunity")

    def _with_all_lines(self, pages: Iterable[QueryPage]) -> Iterator[QueryPage]:
        """Salesforce returns a large child result a page at a time (`done: false` and a
        nextRecordsUrl on OpportunityLineItems): read the rest of each deal's lines
        before the next page of opportunities is asked for."""
        for page in pages:
            for record in page.records:
                lines = record.get(LINE_RELATIONSHIP)
                if lines and not lines.get("done", True):
                    every = self.client.rest_of_children(lines)
                    record[LINE_RELATIONSHIP] = {
                        "totalSize": len(every),
                        "done": True,
                        "records": every,
                    }
            yield page

    def booked_opportunities(self) -> Iterator[QueryPage]:
        """First (or full) sync: every Closed Won opportunity."""
        return self._opportunities(
            self._select() + _where(f"StageName = {soql_string(CLOSED_WON)}")
        )

    def changed_opportunities(self, watermark: datetime) -> Iterator[QueryPage]:
        """Incremental: every opportunity changed since the watermark, any stage, deleted
        ones included (a booked deal that was lost or deleted must be flagged)."""
        return self._opportunities(self._select() + _where(since(watermark)), include_deleted=True)

    def opportunities_by_id(self, ids: Iterable[str]) -> Iterator[QueryPage]:
        for chunk in id_chunks(ids):
            listed = ", ".join(soql_string(i) for i in chunk)
            yield from self._opportunities(
                self._select() + _where(f"Id IN ({listed})"), include_deleted=True
            )

    def changed_line_items(self, watermark: datetime) -> Iterator[QueryPage]:
        """Line items changed since the watermark (a change that leaves the amount alone
        does not touch the opportunity's SystemModstamp)."""
        return self.client.query_pages(
            "SELECT Id, OpportunityId, IsDeleted, SystemModstamp FROM OpportunityLineItem"
            + _where(since(watermark)),
            include_deleted=True,
        )

    # Accounts, contacts, products ------------------------------------------------------

    def changed_records(self, sf_object: str, watermark: datetime) -> Iterator[QueryPage]:
        soql = simple_select(sf_object, self.org.multi_currency) + _where(since(watermark))
        return self._in_org_currency(self.client.query_pages(soql, include_deleted=True), sf_object)

    def booked_billing_contacts(self) -> Iterator[QueryPage]:
        """First sync: the billing contacts of every account with a Closed Won deal (none
        when the org has no billing-contact flag: then the deal's own contact is read)."""
        flag = custom_field("contact_is_billing_contact")
        if not flag:
            return iter(())
        return self.client.query_pages(
            simple_select("Contact", self.org.multi_currency)
            + _where(f"{flag} = true", f"AccountId IN ({BOOKED_ACCOUNTS})")
        )

    def newest_modstamp(self, sf_object: str) -> datetime | None:
        """The newest SystemModstamp of an object (the first sync starts its watermark
        here, read before the bookings so that no later change can slip under it)."""
        pages = self.client.query_pages(
            f"SELECT Id, SystemModstamp FROM {sf_object} ORDER BY SystemModstamp DESC LIMIT 1",
            include_deleted=True,
        )
        for page in pages:
            for record in page.records:
                return parse_sf_datetime(record.get("SystemModstamp"))
        return None
