"""Import of open AR from CSV: all rows or none, every error with its line and field."""

from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.models import Invoice, Payment, PaymentApplication
from collections_app.reports.aging import AgingParams, ar_aging
from collections_app.reports.ar_import import OpenArImportRejected, import_open_ar
from ordermgmt import roles
from tests.collections.test_aging_book import apply, issued_invoice, legal_entity, payment
from tests.factories import AccountFactory, UserFactory

pytestmark = pytest.mark.django_db
D = Decimal
CUTOVER = date(2026, 6, 30)
HEADER = (
    "invoice_number,account,invoice_date,due_date,currency,original_amount,open_amount,po_number"
)


def csv_of(*rows: str, header: str = HEADER) -> bytes:
    return ("\n".join([header, *rows]) + "\n").encode()


@pytest.fixture
def customers():
    legal_entity()
    return {
        "acme": AccountFactory(legal_name="Acme Corp", salesforce_id="0015g00000AcmeAAA"),
        "globex": AccountFactory(legal_name="Globex GmbH"),
    }


def test_a_good_file_imports_issued_invoices_with_their_numbers_and_open_amounts(
    customers, finance
):
    """Two rows: OLD-1 12,000.00 of which 4,000.00 still open (8,000.00 settled before the
    cut-over), OLD-2 800.00 EUR fully open. The settled 8,000.00 becomes a payment of
    method "opening" applied on the cut-over date."""
    content = csv_of(
        "OLD-1,0015g00000AcmeAAA,2026-05-02,2026-06-01,USD,12000.00,4000.00,PO-77",
        "OLD-2,Globex GmbH,2026-06-15,2026-07-15,eur,800.00,800.00,",
    )
    result = import_open_ar(content=content, cutover_date=CUTOVER, actor=finance)
    assert result.count == 2
    assert result.totals == {"EUR": (D("800.00"), D("800.00")),
                             "USD": (D("12000.00"), D("4000.00"))}  # fmt: skip
    old1 = Invoice.objects.get(number="OLD-1")
    assert (old1.source, old1.status, old1.account, old1.po_number) == (
        "import", "issued", customers["acme"], "PO-77",
    )  # fmt: skip
    assert (old1.total_amount, old1.open_amount, old1.settlement_status) == (
        D("12000.00"), D("4000.00"), "partially_paid",
    )  # fmt: skip
    assert [(line.description, line.amount) for line in old1.lines.all()] == [
        ("Opening balance", D("12000.00"))
    ]
    assert old1.due_date == date(2026, 6, 1) and old1.payment_terms == "NET30"
    (application,) = PaymentApplication.objects.filter(invoice=old1)
    assert (application.amount, application.applied_date) == (D("8000.00"), CUTOVER)
    assert (application.payment.method, application.payment.unapplied_amount) == (
        "opening", D("0"),
    )  # fmt: skip
    old2 = Invoice.objects.get(number="OLD-2")
    assert (old2.currency, old2.open_amount, old2.settlement_status) == ("EUR", D("800"), "unpaid")
    assert not old2.applications.exists()
    assert old1.history.first().history_change_reason == "invoice.imported"
    assert old1.history.first().history_user == finance


def test_aging_as_of_the_cutover_shows_the_files_open_amounts_and_earlier_dates_the_original(
    customers,
):
    """The settlement is dated on the cut-over date: as of 06-30 OLD-1 is 4,000.00 open,
    29 days past due (1-30); as of 06-29 it still shows the original 12,000.00 (this
    system does not know when the old payments came in). Later payments work as usual."""
    import_open_ar(
        content=csv_of("OLD-1,Acme Corp,2026-05-02,2026-06-01,USD,12000.00,4000.00,"),
        cutover_date=CUTOVER,
        actor=None,
    )
    at_cutover = ar_aging(AgingParams(as_of=CUTOVER)).currencies[0].rows[0]
    assert at_cutover.buckets[1] == D("4000.00") and at_cutover.net_total == D("4000.00")
    before = ar_aging(AgingParams(as_of=CUTOVER - timedelta(days=1))).currencies[0].rows[0]
    assert before.net_total == D("12000.00")
    old1 = Invoice.objects.get(number="OLD-1")
    apply(payment(customers["acme"], "4000.00", date(2026, 7, 3)), old1, "4000.00",
          date(2026, 7, 3))  # fmt: skip
    assert ar_aging(AgingParams(as_of=date(2026, 7, 3))).currencies == []


def test_one_bad_row_means_nothing_is_imported_and_every_error_is_reported(customers):
    """Line numbers count the header as line 1. Line 3 has two faults; line 5 one."""
    content = csv_of(
        "OK-1,Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.00,",
        "BAD-1,Nobody Ltd,2026-13-01,2026-06-01,USD,100.00,100.00,",
        "OK-2,Globex GmbH,2026-05-02,2026-06-01,EUR,100.00,50.00,",
        "BAD-2,Acme Corp,2026-05-02,2026-06-01,JPY,100.5,100,",
    )
    with pytest.raises(OpenArImportRejected) as err:
        import_open_ar(content=content, cutover_date=CUTOVER, actor=None)
    assert [(e.line, e.field, e.code) for e in err.value.errors] == [
        (3, "account", "unknown_account"),
        (3, "invoice_date", "invalid_date"),
        (5, "original_amount", "not_rounded"),
    ]
    assert err.value.code == "invalid_rows"
    assert "nothing was imported" in err.value.message
    assert not Invoice.objects.exists()
    assert not Payment.objects.exists()


@pytest.mark.parametrize(
    ("row", "field", "code"),
    [
        ("X-1,,2026-05-02,2026-06-01,USD,100.00,100.00,", "account", "required"),
        ("X-1,Acme Corp,02/05/2026,2026-06-01,USD,100.00,100.00,", "invoice_date", "invalid_date"),
        ("X-1,Acme Corp,2026-07-02,2026-08-01,USD,100.00,100.00,", "invoice_date",
         "after_cutover"),
        ("X-1,Acme Corp,2026-05-02,2026-05-01,USD,100.00,100.00,", "due_date",
         "before_invoice_date"),
        ("X-1,Acme Corp,2026-05-02,2026-06-01,XYZ,100.00,100.00,", "currency",
         "unknown_currency"),
        ("X-1,Acme Corp,2026-05-02,2026-06-01,USD,\"1,000.00\",100.00,", "original_amount",
         "invalid_amount"),
        ("X-1,Acme Corp,2026-05-02,2026-06-01,USD,100.001,100.00,", "original_amount",
         "not_rounded"),
        ("X-1,Acme Corp,2026-05-02,2026-06-01,KWD,100.001,100.0011,", "open_amount",
         "not_rounded"),
        ("X-1,Acme Corp,2026-05-02,2026-06-01,USD,100.00,0,", "open_amount", "not_positive"),
        ("X-1,Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.01,", "open_amount",
         "exceeds_original"),
        (",Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.00,", "invoice_number", "required"),
        ("X-1,Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.00,PO,extra", "row",
         "extra_cells"),
    ],
)  # fmt: skip
def test_each_bad_cell_is_named_with_its_reason(customers, row, field, code):
    with pytest.raises(OpenArImportRejected) as err:
        import_open_ar(content=csv_of(row), cutover_date=CUTOVER, actor=None)
    assert [(e.line, e.field, e.code) for e in err.value.errors] == [(2, field, code)]


def test_duplicate_numbers_are_refused_in_the_file_and_against_the_book(customers):
    existing = issued_invoice(customers["acme"], "10.00", date(2026, 5, 1))
    content = csv_of(
        f"{existing.number},Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.00,",
        "DUP,Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.00,",
        "DUP,Acme Corp,2026-05-03,2026-06-02,USD,100.00,100.00,",
    )
    with pytest.raises(OpenArImportRejected) as err:
        import_open_ar(content=content, cutover_date=CUTOVER, actor=None)
    assert [(e.line, e.field, e.code) for e in err.value.errors] == [
        (2, "invoice_number", "duplicate_number"),
        (4, "invoice_number", "duplicate_in_file"),
    ]
    assert "also on line 3" in err.value.errors[1].message


def test_an_ambiguous_legal_name_asks_for_the_salesforce_id(customers):
    AccountFactory(legal_name="Acme Corp")
    content = csv_of("X-1,Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.00,")
    with pytest.raises(OpenArImportRejected) as err:
        import_open_ar(content=content, cutover_date=CUTOVER, actor=None)
    assert err.value.errors[0].code == "ambiguous_account"
    import_open_ar(
        content=csv_of("X-1,0015g00000AcmeAAA,2026-05-02,2026-06-01,USD,100.00,100.00,"),
        cutover_date=CUTOVER,
        actor=None,
    )
    assert Invoice.objects.get(number="X-1").account == customers["acme"]


def test_header_faults_and_a_future_cutover_are_refused(customers):
    with pytest.raises(OpenArImportRejected) as err:
        import_open_ar(
            content=csv_of("X", header="invoice_number,account,amount"),
            cutover_date=CUTOVER,
            actor=None,
        )
    codes = {(e.line, e.field, e.code) for e in err.value.errors}
    assert (1, "invoice_date", "missing_column") in codes
    assert (1, "amount", "unknown_column") in codes
    with pytest.raises(OpenArImportRejected) as err:
        import_open_ar(
            content=csv_of("X-1,Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.00,"),
            cutover_date=timezone.localdate() + timedelta(days=1),
            actor=None,
        )
    assert [(e.field, e.code) for e in err.value.errors] == [("cutover_date", "in_the_future")]
    with pytest.raises(OpenArImportRejected) as err:
        import_open_ar(content=b"\xff\xfe bad", cutover_date=CUTOVER, actor=None)
    assert err.value.errors[0].code == "not_utf8"


def test_the_management_command_imports_or_prints_each_error(customers, tmp_path, finance):
    good = tmp_path / "open_ar.csv"
    good.write_bytes(csv_of("CMD-1,Globex GmbH,2026-05-02,2026-06-01,EUR,50.00,20.00,"))
    out = StringIO()
    call_command(
        "import_open_ar", str(good), "--cutover", "2026-06-30", "--user", finance.username,
        stdout=out,
    )  # fmt: skip
    assert "Imported 1 open invoices" in out.getvalue()
    assert Invoice.objects.get(number="CMD-1").open_amount == D("20.00")
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_of("CMD-2,Globex GmbH,2026-05-02,2026-06-01,EUR,50.00,60.00,"))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_open_ar", str(bad), "--cutover", "2026-06-30", stderr=err)
    assert "bad.csv:2: open_amount:" in err.getvalue()
    assert not Invoice.objects.filter(number="CMD-2").exists()


def test_the_upload_page_imports_for_finance_and_lists_errors_otherwise(client, customers):
    finance = UserFactory(role=roles.FINANCE)
    client.force_login(finance)
    bad = SimpleUploadedFile(
        "ar.csv", csv_of("P-1,Nobody,2026-05-02,2026-06-01,USD,100.00,100.00,"), "text/csv"
    )
    response = client.post(
        "/collections/import-open-ar/", {"file": bad, "cutover_date": "2026-06-30"}
    )
    assert response.status_code == 400
    assert b"Nothing was imported" in response.content
    assert b'data-line="2" data-field="account"' in response.content
    good = SimpleUploadedFile(
        "ar.csv", csv_of("P-1,Acme Corp,2026-05-02,2026-06-01,USD,100.00,100.00,"), "text/csv"
    )
    response = client.post(
        "/collections/import-open-ar/", {"file": good, "cutover_date": "2026-06-30"}
    )
    assert response.status_code == 200
    assert b"Imported 1 invoice" in response.content
    assert Invoice.objects.get(number="P-1").source == "import"


@pytest.mark.parametrize("role", [roles.AUDITOR, roles.ORDER_SPECIALIST, roles.DEAL_DESK])
def test_only_finance_and_admin_may_import(client, role):
    client.force_login(UserFactory(role=role))
    assert client.get("/collections/import-open-ar/").status_code == 403
    client.force_login(UserFactory(role=roles.ADMIN))
    assert client.get("/collections/import-open-ar/").status_code == 200
