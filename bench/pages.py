#!/usr/bin/env python
"""Page benchmark: every console page, admin changelist and API list at two book sizes.

Builds the AR book of `ar_aging.py` (invoices, payments, applications, credit notes,
refunds; INSERT ... SELECT generate_series) at --small and then at --large invoices, each
in its own database (`<--database>_<size>`, kept for a later run with --keep), and after
each build requests, in-process through Django's test client with DEBUG off:

- every console page whose URL takes no argument (found in the URL resolver),
- every admin changelist (found in the admin registry),
- every API list (GET paths of the OpenAPI schema without a path parameter),
- with --sorts, every admin changelist sorted by each of its sortable columns, both ways
  (the `?o=` links of its header),
- with --deep FRACTION, each selected API list (in its own order, and with each
  --deep-query such as `sort=status`) once more at that depth: the page-number page at
  that offset and the cursor page starting at the same row (`core/keyset.py`; the
  cursor is made for the row before, as the previous page's `next` link would carry it),

each as a user of the role that works there (falling back to the admin when that role
is refused), and prints per page the median of --repeat timed requests after a warm-up
(wall time, and beside it this process's CPU time and the time spent in SQL, which a
loaded machine inflates less), the peak Python memory of one request (tracemalloc) and
its query count. Flags: a page over --budget-ms, over --memory-mb, a query count that
is larger at the larger size, or an answer other than 200.

    DATABASE_URL=postgresql://ledgerline:ledgerline@127.0.0.1:5432/ledgerline \
        .venv/bin/python bench/pages.py --small 100000 --large 1000000
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import tracemalloc
from dataclasses import dataclass
from datetime import date

from common import fresh_database, timed

# In-process requests: the test client's host, plain HTTP, production settings otherwise.
os.environ.setdefault("ALLOWED_HOSTS", "testserver")
os.environ.setdefault("SECURE_SSL_REDIRECT", "0")
os.environ.setdefault("DEBUG", "0")

SKIP_PREFIXES = ("/accounts/", "/admin/logout", "/api/v1/schema", "/static/", "/__")
SKIP_SUFFIXES = ("/webhook/",)
SKIP_NAMES = {"logout", "login", "password_reset", "password_reset_done"}
ROLE_BY_PREFIX = [
    ("/admin/", "specialist"),
    ("/dealdesk/", "dealdesk"),
    ("/billing/cash/", "finance"),
    ("/billing/", "specialist"),
    ("/collections/", "finance"),
    ("/revenue/", "finance"),
    ("/api/", "finance"),
    ("/", "finance"),
]


@dataclass
class Measure:
    path: str
    user: str
    status: int
    median_ms: float
    peak_mb: float
    queries: int
    # Less sensitive to the load of a shared machine than the wall time: the Python CPU
    # time of this process and the time spent waiting for SQL (medians of --repeat).
    cpu_ms: float = 0.0
    sql_ms: float = 0.0
    # The slowest statement of a request (median of --repeat): a list's own row read.
    slowest_sql_ms: float = 0.0


def console_paths() -> list[str]:
    from django.urls import URLPattern, URLResolver, get_resolver

    paths: list[str] = []

    def walk(patterns, prefix: str) -> None:
        for p in patterns:
            route = str(p.pattern)
            if isinstance(p, URLResolver):
                if "<" in route or "(?P" in route or route.startswith("admin/"):
                    continue
                walk(p.url_patterns, prefix + route)
            elif isinstance(p, URLPattern):
                if "<" in route or "(?P" in route or p.name in SKIP_NAMES:
                    continue
                path = "/" + prefix + route.lstrip("^").rstrip("$")
                if path.startswith(("/api/", *SKIP_PREFIXES)) or path.endswith(SKIP_SUFFIXES):
                    continue
                paths.append(path)

    walk(get_resolver().url_patterns, "")
    return sorted(set(paths))


def admin_paths() -> list[str]:
    from django.contrib import admin
    from django.urls import reverse

    return sorted(
        reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist")
        for m in admin.site._registry
    )


def sorted_admin_paths(admin_lists: list[str]) -> list[str]:
    """Each changelist once per sortable column and direction, from its header's links."""
    import re

    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(users()["admin"])
    paths = []
    for path in admin_lists:
        html = client.get(path).content.decode()
        columns = {int(n) for n in re.findall(r'href="\?o=-?(\d+)(?:[".&])', html)}
        paths += [f"{path}?o={sign}{n}" for n in sorted(columns) for sign in ("", "-")]
    return paths


def api_list_paths() -> list[str]:
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        path
        for path, ops in schema["paths"].items()
        if "get" in ops and "{" not in path and not path.startswith("/api/v1/schema")
    )


def users() -> dict:
    from django.contrib.auth.models import Group, User

    made = {}
    for role in ("specialist", "dealdesk", "finance", "admin"):
        user, _ = User.objects.get_or_create(username=f"bench-{role}", defaults={"is_staff": True})
        if role == "admin":
            user.is_superuser = True
            user.save()
        else:
            group = Group.objects.filter(name__iexact=role).first() or next(
                (g for g in Group.objects.all() if role[:5] in g.name.lower()), None
            )
            if group:
                user.groups.add(group)
        made[role] = user
    return made


def measure(client_for, path: str, role: str, repeat: int) -> Measure:
    from django.db import connection

    client, who = client_for(role), role
    response = client.get(path)
    if response.status_code in (401, 403) and role != "admin":
        client, who = client_for("admin"), "admin"
        response = client.get(path)
    executed = []

    def count(execute, sql, params, many, context):
        executed.append(sql)
        return execute(sql, params, many, context)

    tracemalloc.start()
    with connection.execute_wrapper(count):
        response = client.get(path)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    sql_seconds = [0.0, 0.0]  # all statements, the slowest

    def timed_sql(execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            took = time.perf_counter() - start
            sql_seconds[0] += took
            sql_seconds[1] = max(sql_seconds[1], took)

    times, cpu, sql, slowest = [], [], [], []
    for _ in range(repeat):
        sql_seconds[:] = [0.0, 0.0]
        start, start_cpu = time.perf_counter(), time.process_time()
        with connection.execute_wrapper(timed_sql):
            client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        cpu.append((time.process_time() - start_cpu) * 1000)
        sql.append(sql_seconds[0] * 1000)
        slowest.append(sql_seconds[1] * 1000)
    return Measure(
        path, who, response.status_code, statistics.median(times), peak / 2**20, len(executed),
        statistics.median(cpu), statistics.median(sql), statistics.median(slowest),
    )  # fmt: skip


def run_pages(paths: list[str], repeat: int) -> dict[str, Measure]:
    from django.test import Client

    accounts = users()
    clients: dict = {}

    def client_for(role: str):
        if role not in clients:
            clients[role] = Client(raise_request_exception=False)
            clients[role].force_login(accounts[role])
        return clients[role]

    out = {}
    for path in paths:
        role = next(r for prefix, r in ROLE_BY_PREFIX if path.startswith(prefix))
        out[path] = measure(client_for, path, role, repeat)
    return out


BOOK_TABLES = (
    "billing_legalentity", "ordermgmt_account", "billing_invoice", "billing_creditnote",
    "billing_payment", "billing_paymentapplication", "billing_refund",
    "billing_creditapplication", "billing_creditrefund",
)  # fmt: skip


def default_blank_columns() -> None:
    """Columns added since ar_aging's generator was written (structured addresses, buyer
    party...) are NOT NULL without a default; in this throwaway database they get ''
    (or {} for JSON) so that the generator's INSERTs, which do not name them, still run."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            """
            SELECT table_name, column_name, data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND is_nullable = 'NO'
              AND column_default IS NULL AND is_identity = 'NO'
              AND data_type IN ('character varying', 'text', 'jsonb')
              AND table_name = ANY(%s)
            """,
            [list(BOOK_TABLES)],
        )
        for table, column, kind in cur.fetchall():
            blank = "'{}'::jsonb" if kind == "jsonb" else "''"
            cur.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" SET DEFAULT {blank}')


def grow_book(invoices: int, applications: int, accounts: int, as_of: date) -> float:
    """Adds a book of this size (ar_aging's generator); returns the seconds it took."""
    from ar_aging import generate

    default_blank_columns()

    args = argparse.Namespace(
        invoices=invoices, applications=applications, accounts=accounts, as_of=as_of
    )
    results: dict = {}
    with timed(results, "seconds"):
        generate(args, results)
    return results["seconds"]


def book_size() -> int:
    """The size of the finished book in this database (0 when none finished)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('bench_pages_book') IS NOT NULL")
        if not cur.fetchone()[0]:
            return 0
        cur.execute("SELECT size FROM bench_pages_book")
        return cur.fetchone()[0]


def mark_book(size: int) -> None:
    """Records that the book is complete, for --keep to reuse."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_pages_book (size integer)")
        cur.execute("DELETE FROM bench_pages_book")
        cur.execute("INSERT INTO bench_pages_book VALUES (%s)", [size])


def kept_book(name: str, size: int) -> bool:
    """--keep: reuse database `name` when it holds a book of `size` invoices. New
    migrations are applied to it, so indexes added since the build are measured too."""
    from urllib.parse import urlparse, urlunparse

    import psycopg

    parsed = urlparse(os.environ["DATABASE_URL"])
    url = urlunparse(parsed._replace(path=f"/{name}"))
    try:
        with psycopg.connect(url) as conn:
            count = conn.execute("SELECT size FROM bench_pages_book").fetchone()[0]
    except psycopg.Error:
        return False  # no database, or its build did not finish
    if count != size:
        return False
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("SECRET_KEY", "bench-only")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.pop("REDIS_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("ANALYZE")  # fresh statistics for indexes the migrations added
    return True


def measure_size(args) -> None:
    """Child process: one database, one book size, every page; JSON to --json."""
    import json
    from dataclasses import asdict

    name = f"{args.database}_{args.size}"
    if args.keep and kept_book(name, args.size):
        print(f"book of {args.size:,} invoices kept from an earlier run (--keep); migrated")
    else:
        fresh_database(name)
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)
    if not (args.keep and book_size() == args.size):
        seconds = grow_book(args.size, args.size, args.accounts, args.as_of)
        print(f"book of {args.size:,} invoices and {args.size:,} applications: {seconds:.1f} s")
        mark_book(args.size)
    # "=/" asks for the path "/" alone; any other entry is a prefix.
    wanted = args.only.split(",")
    exact = {p[1:] for p in wanted if p.startswith("=")}
    prefixes = tuple(p for p in wanted if not p.startswith("="))
    skipped = tuple(p for p in args.skip.split(",") if p)
    candidates = console_paths() + admin_paths() + api_list_paths()
    if args.sorts:
        candidates += sorted_admin_paths(admin_paths())
    paths = [
        p
        for p in candidates
        if (p in exact or (prefixes and p.startswith(prefixes)))
        and not (skipped and p.startswith(skipped))
    ]
    measures = run_pages(paths, args.repeat)
    if args.deep:
        from deep_pages import deep_paths

        queries = ["", *(args.deep_query or [])]
        deep = deep_paths(paths, args.deep, queries, args.size, args.page_size, users()["admin"])
        timed_deep = run_pages(list(deep.values()), args.repeat)
        measures |= {label: timed_deep[url] for label, url in deep.items()}
        for label in [p for p in paths if p.startswith("/api/")] + list(deep):
            m = measures[label]
            print(
                f"{label:52} {m.status} {m.median_ms:7.1f} ms (cpu {m.cpu_ms:.1f}, sql "
                f"{m.sql_ms:.1f}, slowest statement {m.slowest_sql_ms:.1f}), {m.queries} queries"
            )
    print(f"book of {args.size:,}: measured; load average {os.getloadavg()}")
    with open(args.json, "w") as fh:
        json.dump({p: asdict(m) for p, m in measures.items()}, fh)


def main() -> None:
    import json
    import subprocess
    import sys
    import tempfile

    parser = argparse.ArgumentParser()
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--accounts", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--budget-ms", type=float, default=300.0)
    parser.add_argument("--memory-mb", type=float, default=50.0)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 6, 30))
    parser.add_argument("--database", default="ledgerline_bench_pages")
    parser.add_argument(
        "--only",
        default="",
        help="only paths starting with this (comma-separated prefixes; =PATH: that path alone)",
    )
    parser.add_argument("--skip", default="", help="leave out paths starting with these")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="reuse a database built by an earlier run when its book has this size",
    )
    parser.add_argument(
        "--sorts",
        action="store_true",
        help="also every admin changelist sorted by each sortable column, both ways",
    )
    parser.add_argument(
        "--deep",
        type=float,
        help="also each API list's page-number and cursor pages at this fraction of its "
        "rows (0.9: the row at offset 900,000 of a million)",
    )
    parser.add_argument(
        "--deep-query",
        action="append",
        help="with --deep, also the list with this query, e.g. sort=status (repeatable)",
    )
    parser.add_argument("--page-size", type=int, default=50, help="page size for --deep")
    parser.add_argument(
        "--size", type=int, help="measure one book of this size only (needs --json)"
    )
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.size:
        measure_size(args)
        return

    # Each size in its own process: Django's settings hold one database per process.
    runs = {}
    for size in (args.small, args.large):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            child = [sys.executable, __file__, *sys.argv[1:], "--size", str(size)]
            subprocess.run([*child, "--json", out.name], check=True)
            with open(out.name) as fh:
                runs[size] = {p: Measure(**m) for p, m in json.load(fh).items()}

    small, large = runs[args.small], runs[args.large]
    print(
        f"\n{'page':58} {'user':10} {'ms@small':>9} {'ms@large':>9} {'cpu@large':>9} "
        f"{'sql@large':>9} {'MB@large':>8} {'q@small':>7} {'q@large':>7}  flags"
    )
    flagged = 0
    for path in sorted(large):
        a, b = small.get(path), large[path]
        flags = []
        if b.status != 200:
            flags.append(f"HTTP {b.status}")
        if b.median_ms > args.budget_ms:
            flags.append(f"over {args.budget_ms:.0f} ms")
        if b.peak_mb > args.memory_mb:
            flags.append(f"over {args.memory_mb:.0f} MB")
        # One query fewer at the larger size is expected where a list's count turns into
        # an estimate above ESTIMATE_ABOVE (no exact COUNT after the EXPLAIN): only growth
        # is a flag.
        if a and b.queries > a.queries:
            flags.append("queries grow")
        flagged += bool(flags)
        print(
            f"{path[:58]:58} {b.user:10} {a.median_ms if a else 0:9.0f} {b.median_ms:9.0f} "
            f"{b.cpu_ms:9.0f} {b.sql_ms:9.0f} {b.peak_mb:8.1f} {a.queries if a else 0:7} "
            f"{b.queries:7}  {', '.join(flags)}"
        )
    print(
        f"\n{len(large)} pages; {flagged} flagged (budget {args.budget_ms:.0f} ms, "
        f"{args.memory_mb:.0f} MB, no more queries at the larger size)"
    )


if __name__ == "__main__":
    main()
