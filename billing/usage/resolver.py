"""Checks of one usage event, in Python and without queries: who it is for, whether the
metric is priced there on that day, and whether its fields are usable.

All the contracts that can take usage are loaded once per batch (a few thousand rows at
most); each event is then checked with dictionary look-ups, so validation costs a few
microseconds an event and never a query per event."""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

from billing.usage.models import UsagePrice
from ordermgmt.models import Contract, ContractStatus

EVENT_ID_MAX = 128
UTC_Z = re.compile(r"\d{4}-\d\d-\d\dT([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,6})?Z")
USAGE_STATUSES = [ContractStatus.ACTIVE, ContractStatus.EXPIRED]


@dataclass(frozen=True)
class Rejection:
    line: int
    event_id: str
    field: str
    code: str
    message: str

    def as_dict(self) -> dict:
        return {
            "line": self.line,
            "event_id": self.event_id,
            "field": self.field,
            "code": self.code,
            "message": self.message,
        }


class CheckedEvent(NamedTuple):
    """A good event, in the staging table's column order (COPYed as is)."""

    line: int
    event_id: str
    contract_id: int
    metric: str
    quantity: str  # validated text, cast by the database (no float on the way)
    occurred_at: str
    usage_date: date


class _Intervals:
    """Days on which a (customer or contract, metric) may take usage, by contract; where
    two contracts of a customer overlap, the later-starting one takes the days from its
    start (a renewal signed before the old term ends)."""

    def __init__(self, spans: list[tuple[date, date, int]]) -> None:
        spans.sort()
        cut: list[tuple[date, date, int]] = []
        for start, end, contract_id in spans:
            if cut and cut[-1][1] >= start:
                previous = cut.pop()
                if previous[0] < start:
                    cut.append((previous[0], start - timedelta(days=1), previous[2]))
            cut.append((start, end, contract_id))
        self.starts = [s for s, _, _ in cut]
        self.spans = cut

    def contract_on(self, day: date) -> int | None:
        if len(self.spans) == 1:
            start, end, contract_id = self.spans[0]
            return contract_id if start <= day <= end else None
        index = bisect_right(self.starts, day) - 1
        if index < 0:
            return None
        start, end, contract_id = self.spans[index]
        return contract_id if start <= day <= end else None


class Resolver:
    """Maps (customer reference, contract reference, metric) to the contract billed."""

    def __init__(self) -> None:
        by_contract: dict[tuple[str, str], list] = defaultdict(list)
        by_customer: dict[tuple[str, str], list] = defaultdict(list)
        self.known_contracts: set[str] = set()
        self.known_customers: set[str] = set()
        prices = UsagePrice.objects.filter(contract__status__in=USAGE_STATUSES).values_list(
            "contract_id",
            "contract__account__salesforce_id",
            "contract__start_date",
            "contract__end_date",
            "metric",
            "starts_on",
            "ends_on",
        )
        for cid, customer, c_start, c_end, metric, p_start, p_end in prices:
            ref = Contract(pk=cid).reference  # CTR-000123, derived from the id
            span = (max(c_start, p_start), min(c_end, p_end or c_end), cid)
            by_contract[(ref, metric)].append(span)
            self.known_contracts.add(ref)
            if customer:
                by_customer[(customer, metric)].append(span)
                self.known_customers.add(customer)
        self.contracts = {key: _Intervals(spans) for key, spans in by_contract.items()}
        self.customers = {key: _Intervals(spans) for key, spans in by_customer.items()}

    def lookup(self, customer: str, contract: str, metric: str):
        """(intervals, None) or (None, (field, code, message))."""
        if contract:
            if contract not in self.known_contracts:
                return None, ("contract", "unknown_contract", f"No usage contract {contract}.")
            intervals = self.contracts.get((contract, metric))
        elif customer:
            if customer not in self.known_customers:
                return None, ("customer", "unknown_customer", f"No customer {customer}.")
            intervals = self.customers.get((customer, metric))
        else:
            return None, ("customer", "required", "Give a customer or a contract reference.")
        if intervals is None:
            return None, ("metric", "unknown_metric", f"{metric} is not priced on this contract.")
        return intervals, None


def parse_timestamp(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def valid_quantity(text: str) -> tuple[str | None, str | None]:
    """(quantity text, None) or (None, code)."""
    try:
        quantity = Decimal(text)
    except (InvalidOperation, TypeError, ValueError):
        return None, "not_a_number"
    if not quantity.is_finite():
        return None, "not_a_number"
    if quantity < 0:
        return None, "negative_quantity"
    if quantity.as_tuple().exponent < -6 or quantity.adjusted() >= 18:
        return None, "too_precise"
    return str(quantity), None


class EventChecker:
    """Checks events one by one, remembering the batch's event ids: a repeat with the same
    payload is a duplicate (ignored), with another payload a rejection. An event is a tuple
    `(event_id, customer, contract, metric, quantity, timestamp)` of texts (see parsers).
    This runs once per event: plain tuples and fast paths for the common shapes (integer
    quantities, UTC timestamps) keep it to a few microseconds."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.seen: dict[str, tuple] = {}
        self.cache: dict[tuple[str, str, str], tuple] = {}
        self.duplicates = 0
        self.days: dict[str, date] = {}

    def check(self, line: int, event: tuple) -> CheckedEvent | Rejection | None:
        """None for an in-batch duplicate of an identical event."""
        event_id, customer, contract, metric, quantity, timestamp = event
        if not event_id or len(event_id) > EVENT_ID_MAX:
            return Rejection(line, event_id, "event_id", "invalid", "Give an event id (1-128).")
        key = (customer, contract, metric)
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = self.resolver.lookup(*key)
        intervals, problem = found
        if problem:
            return Rejection(line, event_id, *problem)
        if not (quantity.isdigit() and len(quantity) < 18):
            quantity, code = valid_quantity(quantity)
            if code:
                message = "Usage cannot be negative." if code == "negative_quantity" else "Bad."
                return Rejection(line, event_id, "quantity", code, message)
        naive = False
        if UTC_Z.fullmatch(timestamp):  # the common shape, 2026-01-10T12:00:00Z: no parse
            day = self.days.get(timestamp[:10])
            if day is None:
                try:
                    day = self.days[timestamp[:10]] = date.fromisoformat(timestamp[:10])
                except ValueError:
                    day = None
        else:
            try:
                moment = datetime.fromisoformat(timestamp)
            except (TypeError, ValueError):
                moment = None
            if moment is not None:
                naive = moment.tzinfo is None
                if moment.utcoffset():  # naive or UTC: the date as written is the UTC date
                    moment = moment.astimezone(UTC)
                day = moment.date()
            else:
                day = None
        if day is None:
            return Rejection(line, event_id, "timestamp", "invalid", "Not an ISO 8601 time.")
        contract_id = intervals.contract_on(day)
        if contract_id is None:
            return Rejection(
                line, event_id, "timestamp", "outside_term", f"{day} is outside the term."
            )
        payload = (contract_id, metric, quantity, timestamp)
        previous = self.seen.get(event_id)
        if previous is not None:
            if previous == payload:
                self.duplicates += 1
                return None
            return Rejection(
                line,
                event_id,
                "event_id",
                "duplicate_different_payload",
                f"Event {event_id} appears earlier in the batch with another payload.",
            )
        self.seen[event_id] = payload
        if naive:
            timestamp += "+00:00"
        return CheckedEvent(line, event_id, contract_id, metric, quantity, timestamp, day)
