"""Deterministic, realistic CRM data: the same seed and clock give the same records.

Accounts in the US, EU, UK and Japan bill in USD/EUR/GBP/JPY; each has a buyer and a
billing contact (sometimes a shared AP mailbox without a first name). Opportunities are
mostly Closed Won, with lost and open ones mixed in, and carry the billing fields the
order-to-cash flow reads (contract dates, billing frequency, payment terms, PO number).
A few names contain apostrophes and non-ASCII letters on purpose, to exercise escaping.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .seed_data import (
    COUNTRIES,
    FIRST_NAMES,
    FX,
    INDUSTRIES,
    LAST_NAMES,
    NAME_FIRST,
    NAME_SECOND,
    OPEN_STAGES,
    PRODUCTS,
    SALES_REPS,
)
from .store import Store


@dataclass
class SeedSummary:
    users: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    accounts: list[str] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)
    opportunities: list[str] = field(default_factory=list)
    line_items: int = 0


def _insert(store: Store, obj_name: str, fields: dict[str, Any]) -> dict[str, Any]:
    """Insert what this org has fields for (no CurrencyIsoCode in a single-currency org)."""
    return store.insert(obj_name, store.without_unknown(obj_name, fields))


def _digits(rng: random.Random, template: str) -> str:
    return re.sub(
        r"\{d(\d+)\}",
        lambda m: "".join(rng.choice("0123456789") for _ in range(int(m.group(1)))),
        template,
    )


def _price(usd: int, currency: str) -> Decimal:
    # Price books are kept in round numbers in each currency; JPY has no minor unit.
    value = Decimal(usd) * FX[currency]
    return value.quantize(Decimal("1") if currency == "JPY" or value >= 100 else Decimal("0.01"))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, 28))


def seed_store(
    store: Store,
    *,
    accounts: int = 20,
    opportunities: int = 100,
    lines_per_opportunity: int = 3,
    seed: int = 1,
    as_of: date | None = None,
) -> SeedSummary:
    """Add users, products, accounts (+contacts), opportunities (+line items).

    `as_of` anchors close and contract dates (default: the store clock's date), so with
    a frozen clock the same seed gives identical records, ids and timestamps included.
    """
    if accounts < 1 and opportunities:
        raise ValueError("opportunities need at least one account")
    rng = random.Random(seed)
    today = as_of or store.now().date()
    summary = SeedSummary()
    with store.locked():
        existing_users = {u["Username"]: u["Id"] for u in store.all("User")}
        for first, last in SALES_REPS:
            username = f"{first.lower()}.{last.lower().replace(chr(39), '')}@ledgerline.test"
            summary.users.append(
                existing_users.get(username)
                or _insert(
                    store,
                    "User",
                    {
                        "Username": username,
                        "FirstName": first,
                        "LastName": last,
                        "Email": username,
                        "Title": "Account Executive",
                    },
                )["Id"]
            )
        existing_products = {p["ProductCode"]: p["Id"] for p in store.all("Product2")}
        for code, name, family, revenue_type, _usd, _qty in PRODUCTS:
            summary.products.append(
                existing_products.get(code)
                or _insert(
                    store,
                    "Product2",
                    {
                        "ProductCode": code,
                        "Name": name,
                        "Family": family,
                        "Revenue_Type__c": revenue_type,
                        "IsActive": True,
                    },
                )["Id"]
            )
        billing_contacts: dict[str, str] = {}
        account_info: list[tuple[str, str, str]] = []  # id, short name, currency
        used_names: set[str] = set()
        countries = list(COUNTRIES)
        weights = [COUNTRIES[c][1] for c in countries]
        for _ in range(accounts):
            country = rng.choices(countries, weights)[0]
            currency, _w, forms, tld, cities, streets, tax = COUNTRIES[country]
            short = f"{rng.choice(NAME_FIRST)} {rng.choice(NAME_SECOND)}"
            while short in used_names:
                short = f"{short.split(' #')[0]} #{rng.randint(2, 999)}"
            used_names.add(short)
            city, state, postcode = rng.choice(cities)
            account = _insert(
                store,
                "Account",
                {
                    "Name": f"{short} {rng.choice(forms)}",
                    "Type": "Customer - Direct",
                    "Industry": rng.choice(INDUSTRIES),
                    "BillingStreet": rng.choice(streets).format(n=rng.randint(1, 400)),
                    "BillingCity": city,
                    "BillingState": state,
                    "BillingPostalCode": postcode,
                    "BillingCountry": country,
                    "CurrencyIsoCode": currency,
                    "Tax_Id__c": _digits(rng, tax),
                    "OwnerId": rng.choice(summary.users),
                    "Website": f"https://www.{_slug(short)}.{tld}",
                },
            )
            summary.accounts.append(account["Id"])
            account_info.append((account["Id"], short, currency))
            domain = f"{_slug(short)}.{tld}"
            for index in range(rng.choice([2, 2, 3])):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                is_billing = index == 0
                mailbox = is_billing and rng.random() < 0.4
                contact = _insert(
                    store,
                    "Contact",
                    {
                        "AccountId": account["Id"],
                        "FirstName": None if mailbox else first,
                        "LastName": "Accounts Payable" if mailbox else last,
                        "Title": (
                            "Accounts Payable"
                            if is_billing
                            else rng.choice(["VP Operations", "CFO", "IT Director", "Procurement"])
                        ),
                        "Email": (
                            f"ap@{domain}" if mailbox else f"{_slug(first)}.{_slug(last)}@{domain}"
                        ),
                        "Phone": f"+1 555 {rng.randint(100, 999)} {rng.randint(1000, 9999)}",
                        "Billing_Contact__c": is_billing,
                        "CurrencyIsoCode": currency,
                    },
                )
                summary.contacts.append(contact["Id"])
                if is_billing:
                    billing_contacts[account["Id"]] = contact["Id"]
        for _ in range(opportunities):
            account_id, short, currency = rng.choice(account_info)
            if rng.random() < 0.05:
                currency = "USD"  # a foreign customer that signed in dollars
            _seed_opportunity(
                store,
                rng,
                summary,
                today,
                account_id,
                short,
                currency,
                billing_contacts.get(account_id),
                lines_per_opportunity,
            )
    return summary


def _seed_opportunity(
    store: Store,
    rng: random.Random,
    summary: SeedSummary,
    today: date,
    account_id: str,
    short: str,
    currency: str,
    billing_contact: str | None,
    lines: int,
) -> None:
    roll = rng.random()
    if roll < 0.58:
        stage = "Closed Won"
    elif roll < 0.70:
        stage = "Closed Lost"
    else:
        stage = rng.choice(OPEN_STAGES)
    closed = stage.startswith("Closed")
    close_date = (
        today - timedelta(days=rng.randint(0, 540))
        if closed
        else today + timedelta(days=rng.randint(1, 150))
    )
    kind = rng.choices(
        ["New Business", "Existing Business - Upgrade", "Existing Business - Renewal"], [50, 20, 30]
    )[0]
    start = (
        _add_months(close_date.replace(day=1), 1)
        if rng.random() < 0.7
        else (close_date + timedelta(days=rng.randint(0, 14)))
    )
    term = rng.choices([12, 24, 36], [70, 15, 15])[0]
    label = {
        "New Business": "New Business",
        "Existing Business - Upgrade": "Expansion",
        "Existing Business - Renewal": "Renewal",
    }[kind]
    opportunity = _insert(
        store,
        "Opportunity",
        {
            "AccountId": account_id,
            "Name": f"{short} - {label} {start.year}",
            "StageName": stage,
            "CloseDate": close_date,
            "Type": kind,
            "CurrencyIsoCode": currency,
            "OwnerId": rng.choice(summary.users),
            "Contract_Start_Date__c": None if stage == "Closed Lost" else start,
            "Contract_End_Date__c": (
                None if stage == "Closed Lost" else _add_months(start, term) - timedelta(days=1)
            ),
            "Billing_Frequency__c": rng.choices(
                ["Annual", "Quarterly", "Monthly", "Upfront", "Semi-Annual"], [50, 20, 15, 10, 5]
            )[0],
            "Payment_Terms__c": rng.choices(
                ["Net 30", "Net 45", "Net 60", "Due on Receipt", "Net 15"], [60, 15, 15, 5, 5]
            )[0],
            "PO_Number__c": (
                None
                if rng.random() < 0.4
                else rng.choice(
                    [f"PO-{rng.randint(10000, 99999)}", f"45{rng.randint(10**7, 10**8 - 1)}"]
                )
            ),
            "Billing_Contact__c": billing_contact,
            "Amount": None if lines else Decimal(rng.randint(5, 400) * 1000) * FX[currency],
        },
    )
    summary.opportunities.append(opportunity["Id"])
    platform = rng.choice(PRODUCTS[:2])
    others = rng.sample(PRODUCTS[2:], k=min(max(lines - 1, 0), len(PRODUCTS) - 2))
    chosen = [platform, *others][:lines]
    while len(chosen) < lines:
        chosen.append(rng.choice(PRODUCTS))
    product_ids = dict(zip((p[0] for p in PRODUCTS), summary.products))
    for code, _name, _family, _revenue, usd, (low, high) in chosen:
        quantity = rng.randint(low, high)
        if high >= 100:
            quantity = max(low, quantity // 5 * 5)
        _insert(
            store,
            "OpportunityLineItem",
            {
                "OpportunityId": opportunity["Id"],
                "Product2Id": product_ids[code],
                "Quantity": quantity,
                "UnitPrice": _price(usd, currency),
                "Discount": rng.choices(
                    [None, 5, 10, Decimal("12.5"), 15, 20], [50, 15, 15, 5, 10, 5]
                )[0],
                "ServiceDate": start,
            },
        )
        summary.line_items += 1


def _slug(text: str) -> str:
    ascii_text = text.translate(str.maketrans("äöüßéèêôîíóáñç", "aouseeeoiioanc"))
    return re.sub(r"[^a-z0-9]+", "", ascii_text.lower())
