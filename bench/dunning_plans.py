#!/usr/bin/env python
"""Dunning run, plan building only: every reachable open invoice's plan as the daily run
reads them (collections_app.selectors.dunning_plan_batches, batches of whole accounts),
and, with --whole-book, in one piece (dunning_plans(reachable_only=True), what the run did
before it was batched). Nothing is sent and nothing is written: run it on a copy of a
book (bench/pages.py builds one and keeps it, e.g. ll_..._bench_1000000).

Prints the wall and CPU time, the plans by state (the same whichever way: the check that
the two agree), the number of batches and the peak resident memory of the process above
what it held before (ru_maxrss: run one way per process to read each peak on its own).

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ll_..._bench_1000000 \
        .venv/bin/python bench/dunning_plans.py [--whole-book] [--batch-size 5000]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--as-of", type=date.fromisoformat, help="default: today")
    parser.add_argument("--whole-book", action="store_true", help="one dunning_plans call")
    parser.add_argument("--batch-size", type=int, default=None, help="invoices per batch")
    parser.add_argument(
        "--preview",
        action="store_true",
        help="load each invoice with its account and seller, as the dry run does (the "
        "sender loads the plan's fields only)",
    )
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.utils import timezone

    from collections_app import selectors

    as_of = args.as_of or timezone.localdate()
    before = peak_mb()
    load = os.getloadavg()
    wall, cpu = time.perf_counter(), time.process_time()
    states: Counter = Counter()
    batches = 0
    if args.whole_book:
        plans = selectors.dunning_plans(as_of=as_of, reachable_only=True)
        states.update(p.plan.state.value for p in plans)
        batches = 1
        del plans
    else:
        fields = None if args.preview else []
        batches_of_plans = selectors.dunning_plan_batches(
            as_of=as_of, batch_size=args.batch_size, invoice_fields=fields
        )
        for batch in batches_of_plans:
            states.update(p.plan.state.value for p in batch)
            batches += 1
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    way = "whole book" if args.whole_book else f"batches of {args.batch_size or 'default'}"
    if not args.whole_book:
        way += ", as the dry run reads them" if args.preview else ", as the sender reads them"
    print(f"dunning plans as of {as_of}, {way}: {sum(states.values()):,} plans")
    print(f"  {batches} batch(es)")
    print(f"  wall {wall:.1f} s, CPU {cpu:.1f} s, peak memory +{peak_mb() - before:,.0f} MB")
    print(f"  load average before {load[0]:.2f}, after {os.getloadavg()[0]:.2f}")
    print("  by state: " + ", ".join(f"{k} {v:,}" for k, v in sorted(states.items())))


if __name__ == "__main__":
    main()
