"""The top-bar search: each kind by number, name, PO, processor reference or exact
amount, grouped by kind, and only what the user's role may see."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from billing.search import search_book
from billing.services import issue_credit_note
from ordermgmt import roles
from ordermgmt.models import Opportunity
from tests.billing.helpers import pay
from tests.factories import AccountFactory, IssuedInvoiceFactory, UserFactory, make_contract

pytestmark = pytest.mark.django_db


@pytest.fixture
def finance():
    return UserFactory(role=roles.FINANCE)


def _found(user, query) -> dict[str, list[str]]:
    return {g.kind: [h.label for h in g.hits] for g in search_book(query=query, user=user)}


def test_a_customer_is_found_by_part_of_its_name_and_by_its_stripe_id(finance):
    account = AccountFactory(legal_name="Gringotts Labs Inc.", stripe_customer_id="cus_Q1w2e3")
    AccountFactory(legal_name="Other Corp")
    assert _found(finance, "otts lab")["customers"] == [account.legal_name]
    assert _found(finance, "cus_q1w")["customers"] == [account.legal_name]


def test_a_contract_is_found_by_po_number_by_name_and_by_its_reference(finance):
    contract = make_contract(name="Platform renewal", po_number="PO-77812")
    label = f"{contract.reference} Platform renewal"
    assert _found(finance, "PO-778")["contracts"] == [label]
    assert _found(finance, "renewal")["contracts"] == [label]
    assert _found(finance, contract.reference)["contracts"] == [label]


def test_a_customer_is_found_by_the_po_number_of_its_contract(finance):
    contract = make_contract(name="Renewal", po_number="PO-2026-0042")
    assert _found(finance, "po-2026-00")["customers"] == [contract.account.legal_name]


def test_an_opportunity_is_found_by_name_and_salesforce_id(finance):
    account = AccountFactory()
    Opportunity.objects.create(
        account=account, salesforce_id="006XX0000012345", name="Acme expansion",
        stage="Closed Won", close_date=date(2026, 1, 5), currency="USD",
        amount=Decimal("5000.00"),
    )  # fmt: skip
    assert _found(finance, "expansion")["opportunities"] == ["Acme expansion"]
    assert _found(finance, "006XX00000")["opportunities"] == ["Acme expansion"]


def test_an_invoice_is_found_by_number_po_stripe_id_and_exact_amount(finance):
    invoice = IssuedInvoiceFactory(total="1200.00", po_number="PO-4411")
    IssuedInvoiceFactory(total="1200.01")
    invoice.__class__.objects.filter(pk=invoice.pk).update(stripe_invoice_id="in_1AbCdE")
    number = invoice.number
    assert _found(finance, number[:8])["invoices"][0] == number
    assert _found(finance, "po-441")["invoices"] == [number]
    assert _found(finance, "in_1abc")["invoices"] == [number]
    assert _found(finance, "1,200.00")["invoices"] == [number]
    assert _found(finance, "1200")["invoices"] == [number]


def test_a_credit_note_is_found_by_number_and_amount(finance):
    invoice = IssuedInvoiceFactory(total="1000.00")
    note = issue_credit_note(invoice=invoice, actor=None, reason="Seat cut", amount=Decimal("250"))
    assert _found(finance, note.number)["credit_notes"] == [note.number]
    assert _found(finance, "250.00")["credit_notes"] == [note.number]


def test_a_payment_is_found_by_bank_reference_processor_id_and_amount(finance):
    account = AccountFactory()
    wire = pay(account, "830.50", reference="BANKREF-99812")
    stripe = pay(account, "99.00", method="stripe", reference="Stripe ch_3Zz", external_id="pi_3Zz")
    assert _found(finance, "bankref-998")["payments"] == [wire.label]
    assert _found(finance, "pi_3z")["payments"] == [stripe.label]
    assert _found(finance, "830.5")["payments"] == [wire.label]


def test_results_come_grouped_by_kind_and_each_links_to_its_page(client, finance):
    account = AccountFactory(legal_name="Zeta Ltd")
    invoice = IssuedInvoiceFactory(account=account, po_number="ZETA-PO-1")
    client.force_login(finance)
    response = client.get(reverse("search"), {"q": "zeta"})
    assert response.status_code == 200
    groups = response.context["groups"]
    assert [g.kind for g in groups] == ["customers", "invoices"]
    assert groups[0].hits[0].url == reverse("billing:account_detail", args=[account.pk])
    assert groups[1].hits[0].url == reverse("billing:invoice_detail", args=[invoice.pk])
    assert f'href="{groups[1].hits[0].url}"' in response.content.decode()


def test_a_role_without_payment_rights_never_sees_payments(client):
    account = AccountFactory()
    pay(account, "777.00", reference="SECRET-REF")
    IssuedInvoiceFactory(account=account, total="777.00")
    deal_desk = UserFactory(role=roles.DEAL_DESK)
    found = _found(deal_desk, "777")
    assert "payments" not in found and "invoices" in found
    assert _found(deal_desk, "SECRET-REF") == {}
    client.force_login(deal_desk)
    assert b"SECRET-REF" not in client.get(reverse("search"), {"q": "SECRET"}).content


def test_a_user_without_a_role_is_refused_the_search_page(client):
    client.force_login(UserFactory())
    assert client.get(reverse("search"), {"q": "acme"}).status_code == 403


def test_one_character_finds_nothing_and_says_so(client, finance):
    AccountFactory(legal_name="A Corp")
    client.force_login(finance)
    response = client.get(reverse("search"), {"q": "a"})
    assert response.context["groups"] == [] and response.context["too_short"]


def test_a_stored_zero_or_negative_is_never_an_amount_match(finance):
    IssuedInvoiceFactory(total="1000.00")
    assert _found(finance, "-1000") == {}


def test_the_search_indexes_exist_on_postgresql_made_by_a_role_without_superuser():
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        assert cursor.fetchone() == (False,)
        cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'll_search_%'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"ll_search_invoice_number", "ll_search_account_name"} <= names


def test_a_number_prefix_lists_the_exact_number_first_then_numbers_in_order_then_the_rest(
    finance,
):
    first, second, third = (IssuedInvoiceFactory() for _ in range(3))
    # A later invoice whose PO quotes the second one's number: a match, but not by number.
    quoting = IssuedInvoiceFactory(po_number=f"{second.number}/rebill")
    prefix = first.number[:-1]
    assert _found(finance, prefix)["invoices"] == [
        first.number, second.number, third.number, quoting.number,
    ]  # fmt: skip
    assert _found(finance, second.number)["invoices"] == [second.number, quoting.number]


def test_a_short_number_prefix_shows_the_lowest_numbers_and_says_more(finance):
    numbers = sorted(IssuedInvoiceFactory().number for _ in range(7))
    groups = search_book(query=numbers[0][:6], user=finance, limit=5)
    invoices = next(g for g in groups if g.kind == "invoices")
    assert [h.label for h in invoices.hits] == numbers[:5] and invoices.more


def test_the_number_order_is_read_from_the_prefix_index_without_a_sort():
    from django.db import connection

    from billing.models import Invoice
    from billing.search.selectors import _NumberOrder

    query = Invoice.objects.filter(number__istartswith="INV-2026").order_by(_NumberOrder("number"))[
        :11
    ]
    with connection.cursor() as cursor:
        # Forbid the alternatives so the plan shows whether the index can give the order.
        for setting in ("enable_seqscan", "enable_bitmapscan", "enable_sort"):
            cursor.execute(f"SET LOCAL {setting} = off")
        plan = query.explain()
    assert "ll_search_invoice_number" in plan and "Sort" not in plan
