#!/usr/bin/env python
"""Bank matching queue and split page at two book sizes (issue 20): both pick the customer
with the record-payment type-ahead. The baseline, in the same run, is the old customer
field (a <select> of every account) rendered once; the old queue had one per open row.

Builds --small and then --large accounts (bulk_create) in one fresh database with
--rows open credits of unknown payers, and prints per size the median of --repeat
requests, response bytes and query count, with the load average.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/bank_pick.py --small 200 --large 20000
"""

from __future__ import annotations

import argparse
import os

from common import fresh_database
from payment_pick import grow_book, measure, old_select_ms

os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DEBUG", "0")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=200)
    parser.add_argument("--large", type=int, default=20000)
    parser.add_argument("--rows", type=int, default=50)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database", default="ll_bench_bank_pick")
    args = parser.parse_args()
    fresh_database(args.database)

    from django.contrib.auth.models import Group, User
    from django.test import Client

    from billing.bank.models import BankTransaction
    from billing.bank.services import import_bank_statement
    from ordermgmt import roles
    from tests.bank_factories import Entry, camt053

    roles.sync_roles()
    user = User.objects.create_user("bench-finance", password="x")
    user.groups.add(Group.objects.get(name=roles.FINANCE))
    entries = [Entry(f"B{n}", "42.00", "Unknown Person", "", "hello") for n in range(args.rows)]
    import_bank_statement(content=camt053(entries), actor=user, file_name="bench.xml")
    client = Client()
    client.force_login(user)
    split_url = f"/billing/bank/transactions/{BankTransaction.objects.first().pk}/split/"
    rows = {}
    for size in (args.small, args.large):
        grow_book(size)
        rows[size] = (
            measure(client, "/billing/bank/", args.repeat),
            measure(client, split_url, args.repeat),
            old_select_ms(),
        )
    print(f"load average {os.getloadavg()}; {args.rows} open credits on the queue page")
    for size, (queue, split, old) in rows.items():
        print(
            f"{size:>7} accounts | queue {queue[0]:7.1f} ms {queue[1]:>8} B {queue[2]} queries"
            f" | split {split[0]:6.1f} ms {split[1]:>7} B {split[2]} queries"
            f" | one old <select> {old[0]:8.1f} ms {old[1]:>9} B"
            f" (old queue: x{args.rows})"
        )
    small, large = rows[args.small], rows[args.large]
    print(
        f"large/small: queue {large[0][0] / small[0][0]:.2f}x time, "
        f"{large[0][1] / small[0][1]:.2f}x bytes; split {large[1][0] / small[1][0]:.2f}x time;"
        f" one old select {large[2][0] / small[2][0]:.1f}x time"
    )
    print(
        f"queue / old queue (rows x one old select), large: "
        f"{large[0][0] / (args.rows * large[2][0]):.4f}"
    )


if __name__ == "__main__":
    main()
