"""The matching queue page, the bank API and the import command, as finance uses them."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from billing.bank.models import BankTransaction
from ordermgmt import roles
from tests.bank_factories import Entry, camt053, open_invoice
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db

FEB = date(2026, 2, 1)


@pytest.fixture
def acme():
    return AccountFactory(legal_name="Acme Corp")


def a_file(invoice) -> bytes:
    return camt053(
        [
            Entry("P1", str(invoice.total_amount), "Acme Corp", "", invoice.number),
            Entry("P2", "42.00", "Unknown Person", "", "hello"),
        ]
    )


def login(client, role=roles.FINANCE):
    user = UserFactory(role=role)
    client.force_login(user)
    return user


def test_finance_imports_a_file_on_the_queue_page_and_sees_what_is_left(client, acme):
    invoice = open_invoice(acme, "500.00", FEB)
    login(client)
    upload = SimpleUploadedFile("march.xml", a_file(invoice), content_type="text/xml")
    response = client.post("/billing/bank/import/", {"file": upload}, follow=True)
    assert response.status_code == 200
    assert "1 applied automatically" in response.content.decode()
    page = client.get("/billing/bank/").content.decode()
    assert "P2" in page and "Unknown Person" in page
    assert f'data-transaction="{BankTransaction.objects.get(bank_reference="P1").pk}"' not in page


def test_one_click_records_an_unknown_payers_credit_as_unapplied_cash(client, acme):
    open_invoice(acme, "500.00", FEB)
    login(client)
    client.post("/billing/bank/import/", {"file": SimpleUploadedFile("f.xml", a_file(
        acme.invoices.get()))})  # fmt: skip
    txn = BankTransaction.objects.get(bank_reference="P2")
    client.post(f"/billing/bank/transactions/{txn.pk}/unapplied/", {"account": acme.pk})
    txn.refresh_from_db()
    assert (txn.status, txn.payment.account, txn.payment.unapplied_amount) == (
        "unapplied",
        acme,
        Decimal("42.00"),
    )


def test_the_split_page_applies_typed_amounts(client, acme):
    invoice = open_invoice(acme, "500.00", FEB)
    login(client)
    client.post("/billing/bank/import/", {"file": SimpleUploadedFile("f.xml", a_file(invoice))})
    other = open_invoice(acme, "100.00", FEB)
    txn = BankTransaction.objects.get(bank_reference="P2")
    url = f"/billing/bank/transactions/{txn.pk}/split/?account={acme.pk}"
    assert other.number in client.get(url).content.decode()
    response = client.post(url, {"account": acme.pk, f"amount-{other.pk}": "42.00"})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.open_amount == Decimal("58.00")


def test_an_auditor_cannot_match(client, acme):
    open_invoice(acme, "500.00", FEB)
    login(client)
    client.post("/billing/bank/import/", {"file": SimpleUploadedFile("f.xml", a_file(
        acme.invoices.get()))})  # fmt: skip
    txn = BankTransaction.objects.get(bank_reference="P2")
    login(client, roles.AUDITOR)
    assert client.get("/billing/bank/").status_code == 200
    response = client.post(f"/billing/bank/transactions/{txn.pk}/unapplied/", {"account": acme.pk})
    assert response.status_code == 403
    txn.refresh_from_db()
    assert txn.status == "open"


def test_the_api_uploads_a_file_and_confirms_a_proposal(client, acme):
    invoice = open_invoice(acme, "500.00", FEB)
    short = open_invoice(acme, "80.00", FEB)
    login(client)
    content = camt053([Entry("P3", "75.00", "Acme Corp", "", short.number)])
    response = client.post(
        "/api/v1/bank/statements/upload/", {"file": SimpleUploadedFile("f.xml", content)}
    )
    assert response.status_code == 201, response.content
    assert (response.json()["created"], response.json()["auto_applied"]) == (1, 0)
    txn = client.get("/api/v1/bank/transactions/?status=open").json()["results"][0]
    assert txn["suggestions"][0]["rule"] == "reference"
    response = client.post(
        f"/api/v1/bank/transactions/{txn['id']}/confirm/",
        {"suggestion": txn["suggestions"][0]["id"]},
        content_type="application/json",
    )
    assert response.json()["status"] == "matched"
    short.refresh_from_db()
    invoice.refresh_from_db()
    assert (short.open_amount, invoice.open_amount) == (Decimal("5.00"), Decimal("500.00"))


def test_the_api_refuses_a_file_with_wrong_totals_with_field_and_code(client, acme):
    login(client)
    content = camt053([Entry("P4", "1.00", "X", "", "")], entry_count=3)
    response = client.post(
        "/api/v1/bank/statements/upload/", {"file": SimpleUploadedFile("f.xml", content)}
    )
    assert response.status_code == 400
    assert (response.json()["field"], response.json()["code"]) == (
        "file",
        "control_totals_mismatch",
    )
    assert BankTransaction.objects.count() == 0


def test_the_command_imports_a_file_and_a_second_run_adds_nothing(tmp_path, capsys, acme):
    invoice = open_invoice(acme, "500.00", FEB)
    path = tmp_path / "march.xml"
    path.write_bytes(a_file(invoice))
    call_command("import_bank_statement", str(path))
    assert "2 new transactions" in capsys.readouterr().out
    call_command("import_bank_statement", str(path))
    assert "0 new transactions, 2 already imported" in capsys.readouterr().out
    with pytest.raises(CommandError):
        call_command("import_bank_statement", str(tmp_path / "missing.xml"))
