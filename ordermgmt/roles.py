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
]


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
    ],
    DEAL_DESK: [
        *_view("ordermgmt", COMMERCIAL_MODELS),
        "ordermgmt.approve_contract",
    ],
    FINANCE: [
        *_view("ordermgmt", COMMERCIAL_MODELS),
        "ordermgmt.change_account",  # billing details, tax id, terms
        *_edit("ordermgmt", ["product", "productprice"]),
    ],
    AUDITOR: [
        *_view("ordermgmt", COMMERCIAL_MODELS),
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
    ],
    AUDITOR: _view("billing", BILLING_MODELS),
}


def all_role_permissions() -> dict[str, list[str]]:
    """Every app's declared role permissions, merged."""
    merged: dict[str, list[str]] = {role: [] for role in ROLES}
    for declared in [ORDERMGMT_PERMISSIONS, BILLING_PERMISSIONS]:
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
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
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
