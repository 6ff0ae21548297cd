"""Thread-safe in-memory records with Salesforce's bookkeeping.

Every write stamps CreatedDate/LastModifiedDate/SystemModstamp from a controllable clock,
strictly increasing across the whole store, so "changed since X" queries are exact in
tests. Deleted records stay in the table with IsDeleted=true (the recycle bin) for
queryAll and getDeleted. Records are replaced, never mutated in place, so a reader
holding an old dict keeps a consistent snapshot.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from .metadata import ObjectDef
from .schema import DEFAULT_SCHEMA, STAGES, Schema
from .values import ONE_MS, StoreError, coerce, floor_ms, make_id, normalize_id

Record = dict[str, Any]
# Counters start high so ids look like a mature org's (0065g00000Ab1xYAAR).
_ID_COUNTER_START = 2_000_000_000
_CENT = Decimal("0.01")


class Clock:
    """UTC 'now' that tests can freeze and move; unfrozen it follows the real time."""

    def __init__(self, frozen_at: datetime | None = None) -> None:
        self._frozen = frozen_at.astimezone(UTC) if frozen_at else None
        self._offset = timedelta()

    def now(self) -> datetime:
        if self._frozen is not None:
            return self._frozen
        return datetime.now(UTC) + self._offset

    def freeze(self, at: datetime | None = None) -> None:
        if at is not None and at.tzinfo is None:
            raise ValueError("the simulator clock needs a timezone-aware datetime")
        self._frozen = (at or self.now()).astimezone(UTC)

    def unfreeze(self) -> None:
        self._frozen = None

    def advance(self, delta: timedelta | float) -> None:
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if self._frozen is not None:
            self._frozen += step
        else:
            self._offset += step


class Store:
    def __init__(
        self,
        clock: Clock | None = None,
        *,
        schema: Schema | None = None,
        default_currency: str = "USD",
    ) -> None:
        self.clock = clock or Clock()
        self.schema = schema or DEFAULT_SCHEMA
        self.default_currency = default_currency
        self.lock = threading.RLock()
        self.reset()

    # --- lifecycle ------------------------------------------------------------------

    def reset(self) -> None:
        """Empty every table; keeps the clock. Recreates the integration user."""
        with self.lock:
            self._tables: dict[str, dict[str, Record]] = {name: {} for name in self.schema.objects}
            self._by_id: dict[str, Record] = {}
            # (child object, lookup field) -> parent id -> ordered set of child ids
            self._children: dict[tuple[str, str], dict[str, dict[str, None]]] = {}
            self._deleted_log: list[tuple[str, str, datetime]] = []
            self._counters: dict[str, int] = {}
            self._last_stamp: datetime | None = None
            self.default_user_id = ""
            self.default_user_id = self.insert(
                "User",
                {
                    "Username": "integration@ledgerline.test",
                    "FirstName": "Integration",
                    "LastName": "User",
                    "Email": "integration@ledgerline.test",
                    "Title": "API Integration",
                },
            )["Id"]
            self.insert(
                "Organization",
                {
                    "Name": "Ledgerline Simulated Org",
                    "DefaultCurrencyIsoCode": self.default_currency,
                },
            )

    @contextmanager
    def locked(self) -> Iterator[Store]:
        with self.lock:
            yield self

    def now(self) -> datetime:
        return floor_ms(self.clock.now())

    def _next_stamp(self) -> datetime:
        stamp = self.now()
        if self._last_stamp is not None and stamp <= self._last_stamp:
            stamp = self._last_stamp + ONE_MS
        self._last_stamp = stamp
        return stamp

    # --- reads (return copies; the query engine uses the internal ones) -------------

    def get(self, obj_name: str, record_id: str, *, include_deleted: bool = False) -> Record | None:
        with self.lock:
            record = self.lookup(record_id)
            if record is None or self.schema.object_for_id(record["Id"]) is not self._object(
                obj_name
            ):
                return None
            if record["IsDeleted"] and not include_deleted:
                return None
            return dict(record)

    def all(self, obj_name: str, *, include_deleted: bool = False) -> list[Record]:
        with self.lock:
            table = self._tables[self._object(obj_name).name]
            return [dict(r) for r in table.values() if include_deleted or not r["IsDeleted"]]

    def count(self, obj_name: str, *, include_deleted: bool = False) -> int:
        with self.lock:
            table = self._tables[self._object(obj_name).name]
            if include_deleted:
                return len(table)
            return sum(1 for r in table.values() if not r["IsDeleted"])

    def lookup(self, record_id: str | None) -> Record | None:
        if not record_id:
            return None
        record = self._by_id.get(record_id)
        if record is None and len(record_id) == 15:
            normalized = normalize_id(record_id)
            record = self._by_id.get(normalized) if normalized else None
        return record

    def rows(self, obj_name: str) -> Iterator[Record]:
        """Internal records of one object, deleted ones included, in creation order."""
        return iter(self._tables[obj_name].values())

    def children(self, child_obj: str, field: str, parent_id: str) -> list[Record]:
        ids = self._children.get((child_obj, field), {}).get(parent_id, {})
        return [self._by_id[i] for i in ids]

    def deleted_since(self, obj_name: str) -> list[tuple[str, datetime]]:
        name = self._object(obj_name).name
        with self.lock:
            return [(rid, when) for obj, rid, when in self._deleted_log if obj == name]

    # --- writes ---------------------------------------------------------------------

    def without_unknown(self, obj_name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """The fields this org has (seeding the same data into any org)."""
        obj = self._object(obj_name)
        return {name: value for name, value in fields.items() if obj.field(name)}

    def insert(self, obj_name: str, fields: Mapping[str, Any]) -> Record:
        obj = self._object(obj_name)
        with self.lock:
            values = self._coerce(obj, fields, creating=True)
            for fdef in obj.defaulted_fields:
                if fdef.name not in values:
                    values[fdef.name] = (
                        self.default_user_id if fdef.default == "user" else fdef.default
                    )
            missing = [name for name in obj.required_fields if values.get(name) is None]
            if missing:
                raise StoreError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(missing)}]",
                    fields=missing,
                )
            self._check_references(obj, values)
            stamp = self._next_stamp()
            counter = self._counters.get(obj.key_prefix, _ID_COUNTER_START) + 1
            self._counters[obj.key_prefix] = counter
            record: Record = {name: None for name in obj.fields}
            record.update(values)
            actor = self.default_user_id or None
            record.update(
                Id=make_id(obj.key_prefix, counter),
                IsDeleted=False,
                CreatedDate=stamp,
                CreatedById=actor,
                LastModifiedDate=stamp,
                LastModifiedById=actor,
                SystemModstamp=stamp,
            )
            if obj.name == "User":
                record["CreatedById"] = record["LastModifiedById"] = actor or record["Id"]
            self._derive(obj, record, None)
            self._put(obj, record, None)
            if obj.name == "OpportunityLineItem":
                self._roll_up_amount(record["OpportunityId"])
            return dict(record)

    def update(self, obj_name: str, record_id: str, fields: Mapping[str, Any]) -> Record:
        obj = self._object(obj_name)
        with self.lock:
            old = self._live(obj, record_id)
            values = self._coerce(obj, fields, creating=False)
            cleared = [
                name
                for name, value in values.items()
                if value is None and obj.fields[name].required
            ]
            if cleared:
                raise StoreError(
                    "REQUIRED_FIELD_MISSING",
                    f"Required fields are missing: [{', '.join(cleared)}]",
                    fields=cleared,
                )
            self._check_references(obj, values)
            if (
                obj.name == "Opportunity"
                and "CurrencyIsoCode" in values
                and values["CurrencyIsoCode"] != old["CurrencyIsoCode"]
                and self._live_children("OpportunityLineItem", "OpportunityId", old["Id"])
            ):
                raise StoreError(
                    "FIELD_INTEGRITY_EXCEPTION",
                    "Cannot change the currency of an opportunity with products",
                    fields=["CurrencyIsoCode"],
                )
            record = {**old, **values}
            stamp = self._next_stamp()
            record.update(
                LastModifiedDate=stamp, SystemModstamp=stamp, LastModifiedById=self.default_user_id
            )
            self._derive(obj, record, old)
            self._put(obj, record, old)
            if obj.name == "OpportunityLineItem":
                self._roll_up_amount(record["OpportunityId"])
            return dict(record)

    def delete(self, obj_name: str, record_id: str) -> None:
        obj = self._object(obj_name)
        with self.lock:
            old = self._live(obj, record_id)
            if obj.name == "Product2" and self._live_children(
                "OpportunityLineItem", "Product2Id", old["Id"]
            ):
                raise StoreError(
                    "DELETE_FAILED", "This product is on opportunities and can't be deleted"
                )
            self._delete(obj, old)
            if obj.name == "OpportunityLineItem":
                self._roll_up_amount(old["OpportunityId"])

    def _delete(self, obj: ObjectDef, old: Record) -> None:
        stamp = self._next_stamp()
        record = {**old, "IsDeleted": True, "LastModifiedDate": stamp, "SystemModstamp": stamp}
        self._put(obj, record, old)
        self._deleted_log.append((obj.name, record["Id"], stamp))
        # Salesforce cascades: an Account takes its Contacts and Opportunities with it,
        # an Opportunity its line items.
        for rel in obj.children.values():
            if not rel.cascade_delete:
                continue
            for child in self._live_children(rel.child, rel.field, record["Id"]):
                self._delete(self.schema.objects[rel.child], child)

    # --- internals ------------------------------------------------------------------

    def _object(self, obj_name: str) -> ObjectDef:
        obj = self.schema.get_object(obj_name)
        if obj is None:
            raise StoreError("NOT_FOUND", "The requested resource does not exist", 404)
        return obj

    def _live(self, obj: ObjectDef, record_id: str) -> Record:
        record = self.lookup(record_id)
        if record is None or self.schema.object_for_id(record["Id"]) is not obj:
            raise StoreError("NOT_FOUND", "The requested resource does not exist", 404)
        if record["IsDeleted"]:
            raise StoreError("ENTITY_IS_DELETED", "entity is deleted", 404)
        return record

    def _live_children(self, child_obj: str, field: str, parent_id: str) -> list[Record]:
        return [r for r in self.children(child_obj, field, parent_id) if not r["IsDeleted"]]

    def _coerce(
        self, obj: ObjectDef, fields: Mapping[str, Any], *, creating: bool
    ) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for name, value in fields.items():
            if name == "attributes":
                continue
            fdef = obj.field(name)
            if fdef is None:
                raise StoreError(
                    "INVALID_FIELD",
                    f"No such column '{name}' on sobject of type {obj.name}",
                    fields=[name],
                )
            allowed = fdef.createable if creating else fdef.updateable
            if not allowed:
                raise StoreError(
                    "INVALID_FIELD_FOR_INSERT_UPDATE",
                    f"Unable to create/update fields: {fdef.name}. Please check "
                    "the security settings of this field.",
                    fields=[fdef.name],
                )
            values[fdef.name] = coerce(fdef, value)
        return values

    def _check_references(self, obj: ObjectDef, values: dict[str, Any]) -> None:
        for name, value in values.items():
            target = obj.fields[name].reference_to
            if target is None or value is None:
                continue
            parent = self.lookup(value)
            if (
                parent is None
                or parent["IsDeleted"]
                or self.schema.object_for_id(value) is not self.schema.objects[target]
            ):
                raise StoreError(
                    "INVALID_CROSS_REFERENCE_KEY",
                    f"invalid cross reference id: {value}",
                    fields=[name],
                )

    def _put(self, obj: ObjectDef, record: Record, old: Record | None) -> None:
        self._tables[obj.name][record["Id"]] = record
        self._by_id[record["Id"]] = record
        for name in obj.indexed_lookups:
            before = old[name] if old else None
            after = record[name]
            index = self._children.setdefault((obj.name, name), {})
            if before is not None and before != after:
                index.get(before, {}).pop(record["Id"], None)
            if after is not None:
                index.setdefault(after, {})[record["Id"]] = None

    def _derive(self, obj: ObjectDef, record: Record, old: Record | None) -> None:
        """Formula and system-maintained fields."""
        if obj.name in ("Contact", "User"):
            first = record.get("FirstName")
            record["Name"] = f"{first} {record['LastName']}" if first else record["LastName"]
        elif obj.name == "Opportunity":
            probability, closed, won = STAGES[record["StageName"]]
            record["IsClosed"], record["IsWon"] = closed, won
            stage_changed = old is None or old["StageName"] != record["StageName"]
            if stage_changed and (old is not None or record.get("Probability") is None):
                record["Probability"] = Decimal(probability)
            lines = self._live_children("OpportunityLineItem", "OpportunityId", record["Id"])
            if lines:
                record["Amount"] = sum((line["TotalPrice"] for line in lines), Decimal("0.00"))
        elif obj.name == "OpportunityLineItem":
            opportunity = self.lookup(record["OpportunityId"]) or {}
            product = self.lookup(record["Product2Id"]) or {}
            if "CurrencyIsoCode" in obj.fields:
                record["CurrencyIsoCode"] = opportunity.get("CurrencyIsoCode", "USD")
            record["ProductCode"] = product.get("ProductCode")
            record["Name"] = f"{opportunity.get('Name', '')} {product.get('Name', '')}".strip()
            if record.get("ListPrice") is None:
                record["ListPrice"] = record["UnitPrice"]
            discount = record.get("Discount") or Decimal(0)
            total = record["Quantity"] * record["UnitPrice"] * (1 - discount / 100)
            record["TotalPrice"] = total.quantize(_CENT, rounding=ROUND_HALF_UP)

    def _roll_up_amount(self, opportunity_id: str) -> None:
        """Opportunity.Amount is the sum of its products, and the change bumps it too."""
        old = self.lookup(opportunity_id)
        if old is None or old["IsDeleted"]:
            return
        lines = self._live_children("OpportunityLineItem", "OpportunityId", opportunity_id)
        # The simulator keeps the last Amount when the last product is removed.
        if not lines:
            return
        amount = sum((line["TotalPrice"] for line in lines), Decimal("0.00"))
        if amount == old["Amount"]:
            return
        stamp = self._next_stamp()
        record = {**old, "Amount": amount, "LastModifiedDate": stamp, "SystemModstamp": stamp}
        self._put(self.schema.objects["Opportunity"], record, old)
