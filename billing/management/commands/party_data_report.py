"""What the move from free text to structured party data could not do: each seller
(legal entity) and customer account whose address, VAT/company id or bank details are
not complete enough for an e-invoice, with the reason. Changes nothing.

    manage.py party_data_report [--all]
"""

from django.core.management.base import BaseCommand

from billing.models import LegalEntity
from core.party import ids_from_text, seller_fields_from_text
from ordermgmt.models import Account

SELLER_REQUIRED = {
    "address_line1": "street",
    "city": "city",
    "postal_code": "postal code",
    "country": "country",
}
BUYER_REQUIRED = {
    "billing_address_line1": "street",
    "billing_city": "city",
    "billing_postal_code": "postal code",
    "billing_country": "country",
}


def seller_problems(entity: LegalEntity) -> list[str]:
    problems = [
        f"{label} missing" for field, label in SELLER_REQUIRED.items() if not getattr(entity, field)
    ]
    if not (entity.vat_id or entity.company_id):
        problems.append("neither VAT number nor company id")
    if not (entity.iban or entity.bank_account_number):
        problems.append("no bank account (IBAN or account number)")
    if problems:
        _fields, parse_problems = seller_fields_from_text(
            address=entity.address, tax_id=entity.tax_id, remit_to=entity.remit_to
        )
        problems += [f"free text: {problem}" for problem in parse_problems]
    return problems


def buyer_problems(account: Account) -> list[str]:
    problems = [
        f"{label} missing" for field, label in BUYER_REQUIRED.items() if not getattr(account, field)
    ]
    if account.tax_id and not (account.vat_id or account.company_id):
        _ids, id_problems = ids_from_text(account.tax_id, country=account.billing_country)
        problems += id_problems
    return problems


class Command(BaseCommand):
    help = "List sellers and accounts whose structured party data is incomplete."

    def handle(self, *args, **options):
        incomplete = 0
        for entity in LegalEntity.objects.order_by("id"):
            problems = seller_problems(entity)
            if problems:
                incomplete += 1
                self.stdout.write(f"seller {entity.pk} {entity.name}: {'; '.join(problems)}")
        for account in Account.objects.order_by("id").iterator():
            problems = buyer_problems(account)
            if problems:
                incomplete += 1
                self.stdout.write(f"account {account.pk} {account}: {'; '.join(problems)}")
        self.stdout.write(f"{incomplete} record(s) need structured party data.")
