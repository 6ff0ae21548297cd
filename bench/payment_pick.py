#!/usr/bin/env python
"""Record-payment form at two book sizes (issue 20): the form page with its customer
type-ahead, the type-ahead's lookup, and, as the baseline in the same run, the old
customer field (a <select> of every account) rendered alone.

Builds --small and then --large accounts (bulk_create) in one fresh
database migrated like production (search indexes included) and prints per size the
median of --repeat requests, response bytes and query count, with the load average.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/payment_pick.py --small 200 --large 20000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from common import fresh_database

os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DEBUG", "0")


def grow_book(to: int) -> None:
    from ordermgmt.models import Account

    start = Account.objects.count() + 1
    Account.objects.bulk_create(
        (
            Account(legal_name=f"Customer {n:06d} Inc.", stripe_customer_id=f"cus_{n}",
                    billing_country="US")
            for n in range(start, to + 1)
        ),
        batch_size=2000,
    )  # fmt: skip


def measure(client, url: str, repeat: int) -> tuple[float, int, int]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), len(response.content), len(queries)


def old_select_ms() -> tuple[float, int]:
    from django import forms

    from ordermgmt.models import Account

    class OldField(forms.Form):
        account = forms.ModelChoiceField(queryset=Account.objects.order_by("legal_name"))

    started = time.perf_counter()
    html = str(OldField()["account"])
    return (time.perf_counter() - started) * 1000, len(html)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="ll_bench_payment_pick")
    args = parser.parse_args()
    fresh_database(args.database)

    from django.contrib.auth.models import Group, User
    from django.test import Client
    from django.urls import reverse

    from ordermgmt import roles

    roles.sync_roles()
    user = User.objects.create_user("bench-finance", password="x")
    user.groups.add(Group.objects.get(name=roles.FINANCE))
    client = Client()
    client.force_login(user)
    form_url = reverse("billing:payment_record")
    lookup_url = reverse("billing:payment_customer_lookup") + "?q=Customer%2000012"
    rows = {}
    for size in (args.small, args.large):
        grow_book(size)
        rows[size] = (
            measure(client, form_url, args.repeat),
            measure(client, lookup_url, args.repeat),
            old_select_ms(),
        )
    print(f"load average {os.getloadavg()}")
    for size, (form, lookup, old) in rows.items():
        print(
            f"{size:>7} accounts | form {form[0]:7.1f} ms {form[1]:>9} B {form[2]} queries"
            f" | lookup {lookup[0]:6.1f} ms {lookup[1]:>6} B {lookup[2]} queries"
            f" | old <select> alone {old[0]:8.1f} ms {old[1]:>9} B"
            f" | form/old {form[0] / old[0]:.3f}"
        )
    small, large = rows[args.small], rows[args.large]
    print(
        f"large/small: form {large[0][0] / small[0][0]:.2f}x time, {large[0][1] / small[0][1]:.2f}x"
        f" bytes; old select {large[2][0] / small[2][0]:.1f}x time"
    )


if __name__ == "__main__":
    main()
