"""The five roles and what each may do, as Django groups with named permissions.

Data migrations call `grant()` so that every app adds the permissions of its own models
to the roles when it is migrated; this file is the one place to read who may do what.
"""

from __future__ import annotations

ORDER_SPECIALIST = "Order Specialist"
DEAL_DESK = "Deal Desk"
FINANCE = "Finance"
AUDITOR = "Auditor"
ADMIN = "Admin"
ROLES = [ORDER_SPECIALIST, DEAL_DESK, FINANCE, AUDITOR, ADMIN]

COMMERCIAL_MODELS = [
    "account",
    "contact",
    "product",
    "productprice",
    "opportunity",
    "opportunityline",
    "contract",
    "contractline",
    "rampstep",
    "contractchange",
]

# Deal desk reviews, their flags and decisions, and the rules: every role reads them
# (a specialist sees why a contract was flagged or rejected); only Admin edits rules.
DEAL_DESK_MODELS = ["dealdeskreview", "dealdeskflag", "dealdeskdecision", "dealdeskrule"]


def _view(app: str, models: list[str]) -> list[str]:
    return [f"{app}.view_{m}" for m in models]


def _edit(app: str, models: list[str]) -> list[str]:
    return [f"{app}.{verb}_{m}" for m in models for verb in ("add", "change", "view")]


# Admin gets every permission (see grant_all_to_admin); the others exactly these.
ORDERMGMT_PERMISSIONS: dict[str, list[str]] = {
    ORDER_SPECIALIST: [
        *_edit("ordermgmt", ["account", "contact", "contract", "contractline", "rampstep"]),
        *_view("ordermgmt", ["product", "productprice", "opportunity", "opportunityline"]),
        "ordermgmt.submit_contract",
        "ordermgmt.activate_contract",
        "ordermgmt.cancel_contract",
        *_view("ordermgmt", DEAL_DESK_MODELS),
        "ordermgmt.change_order_contract",
        *_edit("ordermgmt", ["contractchange"]),
    ],
    DEAL_DESK: [
        *_view("ordermgmt", COMMERCIAL_MODELS),
        "ordermgmt.approve_contract",
        *_view("ordermgmt", DEAL_DESK_MODELS),
    ],
    FINANCE: [
        *_view("ordermgmt", COMMERCIAL_MODELS),
        "ordermgmt.change_account",  # billing details, tax id, terms
        *_edit("ordermgmt", ["product", "productprice"]),
        *_view("ordermgmt", DEAL_DESK_MODELS),
    ],
    AUDITOR: [
        *_view("ordermgmt", COMMERCIAL_MODELS),
        *_view("ordermgmt", DEAL_DESK_MODELS),
        *_view(
            "django_celery_beat",
            [
                "periodictask",
                "crontabschedule",
                "intervalschedule",
                "clockedschedule",
                "solarschedule",
            ],
        ),
    ],
}


BILLING_MODELS = [
    "invoice",
    "invoiceline",
    "creditnote",
    "creditnoteline",
    "billingscheduleline",
    "usagerecord",
    "billingrun",
    "billingrunexception",
    "invoicedelivery",
    "legalentity",
    "numberseries",
    "taxrate",
    "fxrate",
    "payment",
    "paymentapplication",
    "refund",
    "creditapplication",
    "creditrefund",
]

BILLING_PERMISSIONS: dict[str, list[str]] = {
    ORDER_SPECIALIST: [
        *_view("billing", BILLING_MODELS),
        "billing.change_invoice",  # drafts only; issued invoices are frozen
        "billing.change_billingrunexception",
        "billing.add_usagerecord",
        "billing.add_billingrun",
        "billing.run_billing",
        "billing.issue_invoice",
        "billing.issue_credit_note",
        "billing.void_invoice",
    ],
    DEAL_DESK: _view("billing", ["invoice", "invoiceline", "creditnote", "billingscheduleline"]),
    FINANCE: [
        *_view("billing", BILLING_MODELS),
        "billing.issue_credit_note",
        "billing.void_invoice",
        *_edit("billing", ["taxrate", "legalentity", "fxrate"]),
        "billing.add_payment",
        "billing.apply_payment",
        "billing.refund_payment",
    ],
    AUDITOR: _view("billing", BILLING_MODELS),
}


def all_role_permissions() -> dict[str, list[str]]:
    """Every app's declared role permissions, merged."""
    merged: dict[str, list[str]] = {role: [] for role in ROLES}
    for declared in [
        ORDERMGMT_PERMISSIONS,
        BILLING_PERMISSIONS,
        STRIPE_PERMISSIONS,
        COLLECTIONS_PERMISSIONS,
        REPORTS_PERMISSIONS,
        SALESFORCE_PERMISSIONS,
        REVENUE_PERMISSIONS,
        USAGE_PERMISSIONS,
        BANK_PERMISSIONS,
        WRITEOFF_PERMISSIONS,
    ]:
        for role, perms in declared.items():
            merged[role].extend(perms)
    return merged


def sync_roles() -> None:
    """Idempotent: make the groups hold exactly the declared permissions that exist."""
    from django.contrib.auth.models import Group, Permission

    existing = {
        f"{app}.{code}": pk
        for pk, app, code in Permission.objects.values_list(
            "pk", "content_type__app_label", "codename"
        )
    }
    for role, perms in all_role_permissions().items():
        group, _ = Group.objects.get_or_create(name=role)
        group.permissions.add(*[existing[p] for p in perms if p in existing])
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    admin.permissions.set(list(existing.values()))


def grant(apps, role_permissions: dict[str, list[str]]) -> None:
    """Add permissions to role groups; for use inside data migrations."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role in ROLES:
        Group.objects.get_or_create(name=role)
    for role, perms in role_permissions.items():
        group = Group.objects.get(name=role)
        for dotted in perms:
            app_label, codename = dotted.split(".", 1)
            permission = Permission.objects.filter(
                content_type__app_label=app_label, codename=codename
            ).first()
            # A model added by a later migration has no permission yet: that migration
            # grants it (and sync_roles after every migrate); a test checks none is a typo.
            if permission is not None:
                group.permissions.add(permission)
    grant_all_to_admin(apps)


def grant_all_to_admin(apps) -> None:
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    admin, _ = Group.objects.get_or_create(name=ADMIN)
    admin.permissions.set(Permission.objects.all())


def role_names(user) -> list[str]:
    if not user.is_authenticated:
        return []
    names = list(user.groups.values_list("name", flat=True))
    if user.is_superuser and ADMIN not in names:
        names.append(ADMIN)
    return [r for r in ROLES if r in names]


def has_role(user, *roles: str) -> bool:
    return bool(set(role_names(user)) & set(roles))


# Stripe integration: pushes and webhook events are read by whoever issues or collects
# invoices (and the auditor); a push that failed is retried by the same people.
STRIPE_MODELS = ["stripeinvoicepush", "stripecreditnotepush", "stripewebhookevent"]
STRIPE_PERMISSIONS: dict[str, list[str]] = {
    ORDER_SPECIALIST: [*_view("stripe_billing", STRIPE_MODELS), "stripe_billing.retry_stripe_push"],
    FINANCE: [*_view("stripe_billing", STRIPE_MODELS), "stripe_billing.retry_stripe_push"],
    AUDITOR: _view("stripe_billing", STRIPE_MODELS),
}


# Collections (dunning, worklist, activities) is Finance's (AR) work; Auditors read it.
# Order Specialists and Deal Desk get nothing: collection notes, promises and disputes are
# AR's working record of a customer's payment behaviour. A dispute that needs a credit
# note or a corrected invoice is handled by Finance (who may issue credit notes).
COLLECTIONS_MODELS = [
    "dunningpolicy",
    "dunningstep",
    "accountdunning",
    "dunningreminder",
    "collectionactivity",
]

COLLECTIONS_PERMISSIONS: dict[str, list[str]] = {
    FINANCE: [
        *_edit("collections_app", ["collectionactivity", "accountdunning"]),
        *_edit("collections_app", ["dunningpolicy", "dunningstep"]),
        "collections_app.view_dunningreminder",
    ],
    AUDITOR: _view("collections_app", COLLECTIONS_MODELS),
}


# AR reports (collections_app/reports/access.py): Finance and Auditor export the aging
# and read DSO; only Finance imports open AR. `view_finance_reports` and `import_open_ar`
# are created by collections_app migration 0100_reports_roles (no model of their own).
# The aging itself needs billing.view_invoice + billing.view_payment (granted above).
REPORTS_PERMISSIONS: dict[str, list[str]] = {
    FINANCE: [
        "collections_app.export_finance_reports",
        "collections_app.view_exportlog",
        "collections_app.view_finance_reports",
        "collections_app.import_open_ar",
    ],
    AUDITOR: [
        "collections_app.export_finance_reports",
        "collections_app.view_exportlog",
        "collections_app.view_finance_reports",
    ],
}


# Salesforce booking sync (integrations/salesforce): Order Specialists run it and resolve
# its issues (conflicts, bad records, lost deals are about the bookings they turn into
# contracts); Deal Desk, Finance and Auditor see runs and issues but change nothing.
# Admin has everything, including the link/snapshot and watermark tables.
SALESFORCE_SYNC_VIEW = _view("salesforce_sync", ["syncrun", "synclogline", "syncissue"])
SALESFORCE_PERMISSIONS: dict[str, list[str]] = {
    ORDER_SPECIALIST: [
        *SALESFORCE_SYNC_VIEW,
        "salesforce_sync.run_salesforce_sync",
        "salesforce_sync.resolve_syncissue",
    ],
    DEAL_DESK: SALESFORCE_SYNC_VIEW,
    FINANCE: SALESFORCE_SYNC_VIEW,
    AUDITOR: SALESFORCE_SYNC_VIEW,
}


# Revenue recognition (billing/revenue): Finance runs it (SSP ranges, per-contract settings,
# deliveries, modification decisions, re-estimates) and reads and exports the reports;
# Auditors read and export everything. Deal desk reads obligations and allocations: how a
# discount is spread over a deal's obligations is part of judging the deal, but balances,
# reports and exports are Finance's. Order Specialists get nothing here.
REVENUE_MODELS = [
    "performanceobligation",
    "obligationline",
    "revenueallocation",
    "allocationline",
    "revenueschedule",
    "revenuescheduleline",
    "delivery",
    "contractmodification",
    "revenuecontractsettings",
    "ssprange",
    "revenueexception",
]
REVENUE_REPORTS = ["revenue.view_revenue_reports", "revenue.export_revenue_reports"]
REVENUE_PERMISSIONS: dict[str, list[str]] = {
    FINANCE: [
        *_view("revenue", REVENUE_MODELS),
        *REVENUE_REPORTS,
        *_edit("revenue", ["revenuecontractsettings", "ssprange"]),
        "revenue.recognise_revenue",
        "revenue.record_delivery",
        "revenue.account_for_modification",
    ],
    AUDITOR: [*_view("revenue", REVENUE_MODELS), *REVENUE_REPORTS],
    DEAL_DESK: _view(
        "revenue",
        [
            "performanceobligation",
            "obligationline",
            "revenueallocation",
            "allocationline",
            "revenuecontractsettings",
            "ssprange",
        ],
    ),
}


# Usage deals (billing.usage): specialists keep rate cards and commitments and ingest usage;
# finance grants credits and reads balances; the auditor reads everything.
USAGE_MODELS = [
    "usageprice",
    "usagebatch",
    "dailyusage",
    "commitment",
    "ledgerentry",
    "balancealert",
]
USAGE_PERMISSIONS: dict[str, list[str]] = {
    ORDER_SPECIALIST: [
        *_view("usage", USAGE_MODELS),
        "usage.add_usagebatch",
        *_edit("usage", ["usageprice", "commitment"]),
    ],
    FINANCE: [*_view("usage", USAGE_MODELS), *_edit("usage", ["commitment"])],
    DEAL_DESK: _view("usage", ["usageprice", "commitment", "ledgerentry"]),
    AUDITOR: _view("usage", USAGE_MODELS),
}

# Bank statements and cash matching (billing.bank): Finance imports and matches.
BANK_MODELS = ["bankstatement", "banktransaction", "matchsuggestion", "payeraccount"]
BANK_PERMISSIONS: dict[str, list[str]] = {
    FINANCE: [
        *_view("bank", BANK_MODELS),
        "bank.import_statement",
        "bank.match_bank_transaction",
    ],
    AUDITOR: _view("bank", BANK_MODELS),
}

# Write-offs (billing.writeoffs): Finance requests and approves (never its own request).
WRITEOFF_MODELS = ["writeoff", "smallbalancebatch", "approvalrequest"]
WRITEOFF_PERMISSIONS: dict[str, list[str]] = {
    FINANCE: [
        *_view("writeoffs", WRITEOFF_MODELS),
        "writeoffs.request_write_off",
        "writeoffs.approve_write_off",
        "writeoffs.request_approval",
        "writeoffs.approve_request",
    ],
    AUDITOR: _view("writeoffs", WRITEOFF_MODELS),
}
