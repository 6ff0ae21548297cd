"""The collections worklist and account page: ordering, flags, forms, and who may see them."""

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from freezegun import freeze_time

from billing.models import FxRate
from collections_app.dunning.schedule import PlanState
from collections_app.models import ActivityKind, CollectionActivity
from collections_app.selectors import worklist
from collections_app.services import (
    add_collection_note,
    open_dispute,
    pause_dunning,
    record_promise_to_pay,
    send_due_reminders,
)
from ordermgmt import roles
from tests.collections.dunning_helpers import (  # noqa: F401  (fixtures)
    customer,
    dunning_mail,
    issued_invoice,
    no_issue_hooks,
    pay,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("dunning_mail", "no_issue_hooks")]

TODAY = date(2026, 6, 15)
OS, DD, FIN, AUD, ADM = (
    roles.ORDER_SPECIALIST,
    roles.DEAL_DESK,
    roles.FINANCE,
    roles.AUDITOR,
    roles.ADMIN,
)


def days_ago(n: int) -> date:
    return date.fromordinal(TODAY.toordinal() - n)


@freeze_time("2026-06-15 08:00:00")
def test_the_worklist_puts_the_largest_overdue_balance_first_then_the_oldest():
    small_recent = customer("Small recent")
    issued_invoice(due=days_ago(10), account=small_recent, total="5000.00")
    large = customer("Large")
    issued_invoice(due=days_ago(5), account=large, total="9000.00")
    small_old = customer("Small old")
    issued_invoice(due=days_ago(40), account=small_old, total="5000.00")
    euro = customer("Euro buyer", default_currency="EUR")
    issued_invoice(due=days_ago(3), account=euro, total="6000.00", currency="EUR")
    FxRate.objects.create(
        currency="EUR", reporting_currency="USD", rate_date=days_ago(30), rate=Decimal("1.10")
    )
    issued_invoice(due=TODAY, account=customer("Due today"))  # not overdue yet
    paid = issued_invoice(due=days_ago(20), account=customer("Paid up"))
    pay(paid, "1000.00", on=days_ago(1))

    rows = worklist(as_of=TODAY)

    assert [r.account.legal_name for r in rows] == [
        "Large",  # USD 9,000
        "Euro buyer",  # EUR 6,000 = USD 6,600
        "Small old",  # USD 5,000, 40 days
        "Small recent",  # USD 5,000, 10 days
    ]
    euro_row = rows[1]
    assert [str(a) for a in euro_row.overdue] == ["€6,000.00"]
    assert euro_row.ranking_amount == Decimal("6600.00")
    assert (rows[2].oldest_days_past_due, rows[2].overdue_invoices) == (40, 1)


@freeze_time("2026-06-15 08:00:00")
def test_a_currency_without_an_fx_rate_is_shown_but_not_ranked():
    account = customer("Yen buyer")
    issued_invoice(due=days_ago(3), account=account, total="100000", currency="JPY")
    (row,) = worklist(as_of=TODAY)
    assert (row.ranking_amount, row.unranked_currencies) == (Decimal(0), ["JPY"])
    assert str(row.overdue[0]) == "¥100,000"


def test_the_worklist_flags_broken_promises_open_disputes_calls_and_shows_the_next_step(finance):
    account = customer("Slow payer")
    with freeze_time("2026-06-01 09:00:00"):
        promised = issued_invoice(due=days_ago(20), account=account, total="700.00")
        disputed = issued_invoice(due=days_ago(18), account=account, total="300.00")
        called = issued_invoice(due=days_ago(60), account=account, total="200.00")
        record_promise_to_pay(
            invoice=promised, promised_date=days_ago(5), amount=Decimal("700.00"), actor=finance
        )
        open_dispute(invoice=disputed, reason="service", amount=Decimal("300.00"), actor=finance)
        add_collection_note(account=account, body="AP clerk changed; new contact", actor=finance)
    with freeze_time("2026-06-15 08:00:00"):
        send_due_reminders(as_of=TODAY)
        (row,) = worklist(as_of=TODAY)

    assert row.broken_promises == 1
    assert row.promises[0].activity.invoice == promised
    assert [(d.invoice, d.dispute_reason, d.owner) for d in row.disputes] == [
        (disputed, "service", finance)
    ]
    assert [c.invoice for c in row.calls] == [called]  # +35 reached: call flagged
    assert row.latest_note.body == "AP clerk changed; new contact"
    assert row.last_contact is not None
    # The broken promise no longer pauses its invoice: its +14 step is next.
    assert row.next_action.invoice == promised
    assert row.next_action.state in {PlanState.DUE, PlanState.DEFERRED, PlanState.SCHEDULED}


@freeze_time("2026-06-15 08:00:00")
@pytest.mark.parametrize(
    ("show", "expected"),
    [("calls", ["Called"]), ("disputes", ["Disputed"]), ("paused", ["Paused"])],
)
def test_the_worklist_filters(finance, show, expected):
    issued_invoice(due=days_ago(60), account=customer("Called"))
    send_due_reminders(as_of=TODAY)
    disputed = issued_invoice(due=days_ago(5), account=customer("Disputed"))
    open_dispute(invoice=disputed, reason="po", amount=Decimal("10.00"), actor=finance)
    paused = customer("Paused")
    issued_invoice(due=days_ago(5), account=paused)
    pause_dunning(account=paused, reason="Bankruptcy filing, legal handles it", actor=finance)
    assert [r.account.legal_name for r in worklist(as_of=TODAY, show=show)] == expected


# --- Pages --------------------------------------------------------------------------------


def logged_in(client, role):
    user = UserFactory(role=role) if role else UserFactory()
    client.force_login(user)
    return user


@pytest.mark.parametrize(
    ("role", "status"), [(FIN, 200), (ADM, 200), (AUD, 200), (OS, 403), (DD, 403), (None, 403)]
)
def test_who_may_open_the_worklist(client, role, status):
    logged_in(client, role)
    assert client.get(reverse("collections:worklist")).status_code == status


def test_the_worklist_sends_anonymous_users_to_the_login_page(client):
    response = client.get(reverse("collections:worklist"))
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(("role", "status"), [(FIN, 200), (AUD, 200), (OS, 403), (DD, 403)])
def test_who_may_open_an_account_page(client, role, status):
    account = customer()
    logged_in(client, role)
    url = reverse("collections:account", args=[account.pk])
    assert client.get(url).status_code == status


@freeze_time("2026-06-15 08:00:00")
def test_the_worklist_page_lists_overdue_accounts_with_their_figures(client):
    account = customer("Contoso Ltd")
    issued_invoice(due=days_ago(12), account=account, total="2500.00")
    logged_in(client, FIN)
    html = client.get(reverse("collections:worklist")).content.decode()
    assert "Contoso Ltd" in html
    assert "$2,500.00" in html
    assert "12 d" in html
    assert reverse("collections:account", args=[account.pk]) in html
    assert 'class="nav-collections"' in html


@freeze_time("2026-06-15 08:00:00")
def test_finance_records_a_promise_on_the_account_page(client):
    account = customer("Contoso Ltd")
    invoice = issued_invoice(due=days_ago(12), account=account, total="2500.00")
    user = logged_in(client, FIN)
    url = reverse("collections:account_action", args=[account.pk, "promise"])
    response = client.post(
        url,
        {
            "promise-invoice": invoice.pk,
            "promise-promised_date": "2026-06-22",
            "promise-amount": "2500.00",
            "promise-note": "Confirmed by their controller",
        },
    )
    assert response.status_code == 302
    promise = CollectionActivity.objects.get(kind=ActivityKind.PROMISE)
    assert (promise.invoice, promise.amount, promise.created_by) == (
        invoice,
        Decimal("2500.00"),
        user,
    )
    page = client.get(reverse("collections:account", args=[account.pk])).content.decode()
    assert "$2,500.00 by 22 Jun 2026" in page
    assert "Paused: promise to pay" in page


@freeze_time("2026-06-15 08:00:00")
def test_a_refused_promise_shows_the_error_at_the_field_and_records_nothing(client):
    account = customer()
    invoice = issued_invoice(due=days_ago(12), account=account, total="100.00")
    logged_in(client, FIN)
    response = client.post(
        reverse("collections:account_action", args=[account.pk, "promise"]),
        {
            "promise-invoice": invoice.pk,
            "promise-promised_date": "2026-06-01",
            "promise-amount": "5",
        },
    )
    assert response.status_code == 400
    assert "cannot be before today" in response.content.decode()
    assert not CollectionActivity.objects.exists()


@freeze_time("2026-06-15 08:00:00")
def test_finance_opens_and_resolves_a_dispute_and_pauses_dunning_on_the_page(client):
    account = customer()
    invoice = issued_invoice(due=days_ago(12), account=account)
    user = logged_in(client, FIN)
    client.post(
        reverse("collections:account_action", args=[account.pk, "dispute"]),
        {"dispute-invoice": invoice.pk, "dispute-reason": "pricing", "dispute-amount": "100.00"},
    )
    dispute = CollectionActivity.objects.get(kind=ActivityKind.DISPUTE)
    assert dispute.owner == user  # "Me" by default
    prefix = f"resolve-{dispute.pk}"
    response = client.post(
        reverse("collections:activity_action", args=[dispute.pk, "resolve"]),
        {f"{prefix}-resolution": "credited", f"{prefix}-note": "CN-2026-000004"},
    )
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution) == ("resolved", "credited")
    client.post(
        reverse("collections:account_action", args=[account.pk, "pause"]),
        {"pause-reason": "Payment plan being negotiated"},
    )
    assert account.dunning.paused


def test_an_auditor_sees_no_forms_and_cannot_post(client):
    account = customer()
    logged_in(client, AUD)
    page = client.get(reverse("collections:account", args=[account.pk])).content.decode()
    assert 'id="note-form"' not in page and 'id="pause-form"' not in page
    response = client.post(
        reverse("collections:account_action", args=[account.pk, "note"]), {"note-body": "hi"}
    )
    assert response.status_code == 403
    assert not CollectionActivity.objects.exists()


def test_an_order_specialist_cannot_post_a_note(client):
    account = customer()
    logged_in(client, OS)
    response = client.post(
        reverse("collections:account_action", args=[account.pk, "note"]), {"note-body": "hi"}
    )
    assert response.status_code == 403
