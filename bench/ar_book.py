"""The AR benchmarks' book (bench/ar_aging.py, bench/dso.py, bench/pages.py): invoices,
payments and their applications (1% reversed), credit notes (voids, credit on account
and its applications), refunds, generated in PostgreSQL with INSERT ... SELECT
generate_series, with every settlement column as the services would keep it."""

from __future__ import annotations

from datetime import timedelta

from common import timed


def default_unfilled_columns() -> None:
    """Columns the generator's INSERTs do not name (added to the models after it was
    written) get their model default in the database (or '' for a blank text column), so
    that the book still loads."""
    import json

    from django.apps import apps
    from django.db import connection, models

    with connection.schema_editor() as editor:
        for label in ["billing", "ordermgmt"]:
            for model in apps.get_app_config(label).get_models():
                for field in model._meta.concrete_fields:
                    if field.null or field.primary_key:
                        continue
                    if field.has_default():
                        default = field.get_default()
                    elif isinstance(field, models.CharField | models.TextField):
                        default = ""
                    else:
                        continue
                    if isinstance(field, models.JSONField):
                        value = editor.quote_value(json.dumps(default))
                    else:
                        prepared = field.get_db_prep_save(default, connection)
                        value = editor.quote_value(prepared)
                    editor.execute(
                        f"ALTER TABLE {editor.quote_name(model._meta.db_table)} ALTER COLUMN "
                        f"{editor.quote_name(field.column)} SET DEFAULT {value}"
                    )


def settle_sources(cur) -> None:
    """Payments' and credit notes' applied and refunded amounts as the services keep them
    (net of reversals), from the rows generated."""
    cur.execute(
        """
        UPDATE billing_payment p SET applied_amount = coalesce(a.s, 0),
          refunded_amount = coalesce(r.s, 0)
        FROM billing_payment q
        LEFT JOIN (SELECT payment_id, sum(amount) s FROM billing_paymentapplication
                   GROUP BY payment_id) a ON a.payment_id = q.id
        LEFT JOIN (SELECT payment_id, sum(amount) s FROM billing_refund
                   GROUP BY payment_id) r ON r.payment_id = q.id
        WHERE p.id = q.id
          AND (p.applied_amount, p.refunded_amount) <> (coalesce(a.s, 0), coalesce(r.s, 0))
        """
    )
    cur.execute(
        """
        UPDATE billing_creditnote n SET applied_amount = coalesce(a.s, 0),
          refunded_amount = coalesce(r.s, 0)
        FROM billing_creditnote m
        LEFT JOIN (SELECT credit_note_id, sum(amount) s FROM billing_creditapplication
                   GROUP BY credit_note_id) a ON a.credit_note_id = m.id
        LEFT JOIN (SELECT credit_note_id, sum(amount) s FROM billing_creditrefund
                   GROUP BY credit_note_id) r ON r.credit_note_id = m.id
        WHERE n.id = m.id
          AND (n.applied_amount, n.refunded_amount) <> (coalesce(a.s, 0), coalesce(r.s, 0))
        """
    )


def generate(args, results: dict) -> None:
    from django.db import connection

    default_unfilled_columns()

    n, accounts = args.invoices, args.accounts
    normal_apps = round(args.applications / 1.01)  # + 1% reversal rows = --applications
    # At most one application per invoice that is not void, so none is over-applied.
    normal_apps = min(normal_apps, args.invoices - args.invoices // 100)
    as_of = args.as_of
    with connection.cursor() as cur:
        cur.execute(
            "INSERT INTO billing_legalentity (name, address, tax_id, remit_to, invoice_prefix,"
            " credit_note_prefix, email, is_default) VALUES ('Bench Seller', '1 Bench Road', '',"
            " 'Bench Bank', 'INV-', 'CN-', '', true) RETURNING id"
        )
        entity = cur.fetchone()[0]
        with timed(results, "gen_accounts"):
            cur.execute(
                """
                INSERT INTO ordermgmt_account (legal_name, billing_address_line1,
                  billing_address_line2, billing_city, billing_region, billing_postal_code,
                  billing_country, tax_id, tax_exempt, default_currency, default_payment_terms,
                  created_at, updated_at)
                SELECT 'Bench customer ' || g, '', '', '', '', '', 'US', '', false, 'USD',
                       'NET30', now(), now()
                FROM generate_series(1, %s) g ORDER BY g
                """,
                [accounts],
            )
            cur.execute("SELECT min(id) FROM ordermgmt_account")
            acc0 = cur.fetchone()[0]
        # Invoices g = 1..n: dates over ~26 months up to 30 days after as_of; every 10th
        # in EUR; every 100th voided (a void credit note 20 days after its date).
        with timed(results, "gen_invoices"):
            cur.execute(
                """
                INSERT INTO billing_invoice (legal_entity_id, account_id, source, status,
                  settlement_status, number, currency, invoice_date, due_date, payment_terms,
                  po_number, buyer_name, buyer_address, buyer_tax_id, tax_exempt, tax_rounding,
                  subtotal_amount, tax_amount, total_amount, credited_amount, paid_amount,
                  issued_at, pdf, pdf_sha256, stripe_customer_id, stripe_invoice_id,
                  created_at, updated_at)
                SELECT %(entity)s, %(acc0)s + (g * 7919) %% %(accounts)s, 'billing',
                  CASE WHEN g %% 100 = 0 THEN 'void' ELSE 'issued' END, 'unpaid',
                  'INV-' || g, CASE WHEN g %% 10 = 0 THEN 'EUR' ELSE 'USD' END,
                  d, d + (ARRAY[0, 15, 30, 60])[1 + (g %% 4)::int], 'NET30', '', 'Bench', '', '',
                  false, 'line', t, 0, t, 0, 0, now(), '', '', '', '', now(), now()
                FROM (
                  SELECT g, %(as_of)s::date + 30 - ((g * 37) %% 790)::int AS d,
                         (((g * 7331) %% 900000) + 1000) / 100.0 AS t
                  FROM generate_series(1::bigint, %(n)s) g
                ) s ORDER BY g
                """,
                {"entity": entity, "acc0": acc0, "accounts": accounts, "as_of": as_of, "n": n},
            )
            cur.execute("SELECT min(id), max(id), count(*) FROM billing_invoice")
            inv0, inv_max, count = cur.fetchone()
            assert inv_max - inv0 + 1 == count == n, "invoice ids must be contiguous"
        # Credit notes: 10% of every 20th invoice 10 days after its date; voids in full.
        # A quarter of those credits go on account (as if the invoice was paid already).
        with timed(results, "gen_credit_notes"):
            cur.execute(
                """
                INSERT INTO billing_creditnote (legal_entity_id, invoice_id, number, currency,
                  credit_date, reason, subtotal_amount, tax_amount, total_amount,
                  is_void_of_invoice, pdf, created_at, on_account_amount, applied_amount,
                  refunded_amount)
                SELECT legal_entity_id, id, 'CN-' || (id - %(inv0)s + 1), currency,
                  invoice_date + CASE WHEN status = 'void' THEN 20 ELSE 10 END, 'bench',
                  a, 0, a, status = 'void', '', now(),
                  CASE WHEN status <> 'void' AND (id - %(inv0)s + 1) %% 80 = 5 THEN a ELSE 0 END,
                  0, 0
                FROM (
                  SELECT i.*, CASE WHEN status = 'void' THEN total_amount
                                   ELSE round(total_amount * 0.1, 2) END AS a
                  FROM billing_invoice i
                  WHERE status = 'void' OR (id - %(inv0)s + 1) %% 20 = 5
                ) s
                """,
                {"inv0": inv0},
            )
        # Payments k = 1..normal_apps, one per application, on invoices that are not
        # void; 40%, 60% or 89% of the total; every 10th payment 100.00 more than it
        # applies (unapplied cash), every 20th refunds 40.00 of that 30 days later.
        pick = """
            SELECT k, i.id AS invoice_id, i.account_id, i.currency, i.total_amount,
                   i.invoice_date + (k %% 90)::int AS day,
                   round(i.total_amount * (ARRAY[0.89, 0.4, 0.6])[1 + (k %% 3)::int], 2) AS amount
            FROM (SELECT k, ((k - 1) %% %(live)s) + 1 AS g0
                  FROM generate_series(1::bigint, %(m)s) k) s
            JOIN billing_invoice i ON i.id = %(inv0)s - 1 + g0 + (g0 - 1) / 99
        """
        params = {"inv0": inv0, "live": n - n // 100, "m": normal_apps}
        with timed(results, "gen_payments"):
            cur.execute(
                f"""
                INSERT INTO billing_payment (account_id, currency, amount, received_date,
                  method, reference, applied_amount, refunded_amount, created_at)
                SELECT account_id, currency,
                  amount + CASE WHEN k %% 10 = 0 THEN 100 ELSE 0 END, day, 'wire', 'P' || k,
                  amount, CASE WHEN k %% 20 = 0 THEN 40 ELSE 0 END, now()
                FROM ({pick}) p ORDER BY k
                """,
                params,
            )
            cur.execute("SELECT min(id), max(id), count(*) FROM billing_payment")
            pay0, pay_max, count = cur.fetchone()
            assert pay_max - pay0 + 1 == count == normal_apps, "payment ids must be contiguous"
        with timed(results, "gen_applications"):
            cur.execute(
                f"""
                INSERT INTO billing_paymentapplication (payment_id, invoice_id, amount,
                  applied_date, reason, created_at)
                SELECT %(pay0)s + k - 1, invoice_id, amount, day, '', now()
                FROM ({pick}) p ORDER BY k
                """,
                {**params, "pay0": pay0},
            )
            cur.execute("SELECT min(id) FROM billing_paymentapplication")
            app0 = cur.fetchone()[0]
            # 1% of the applications reversed 20 days later (negative rows).
            cur.execute(
                """
                INSERT INTO billing_paymentapplication (payment_id, invoice_id, amount,
                  applied_date, reverses_id, reason, created_at)
                SELECT payment_id, invoice_id, -amount, applied_date + 20, id, 'misapplied',
                  now()
                FROM billing_paymentapplication WHERE (id - %s + 1) %% 100 = 50
                """,
                [app0],
            )
        with timed(results, "gen_refunds"):
            cur.execute(
                """
                INSERT INTO billing_refund (payment_id, amount, refund_date, reference, reason,
                  created_at)
                SELECT id, 40, received_date + 30, 'R', 'overpaid', now()
                FROM billing_payment WHERE refunded_amount > 0
                """
            )
        cur.execute(
            "INSERT INTO billing_fxrate (currency, reporting_currency, rate_date, rate)"
            " VALUES ('EUR', 'USD', %s, 1.0850)",
            [as_of - timedelta(days=10)],
        )
        # Half of each credit on account applied back to an invoice 5 days later.
        with timed(results, "gen_credit_applications"):
            cur.execute(
                """
                INSERT INTO billing_creditapplication (credit_note_id, invoice_id, amount,
                  applied_date, reason, created_at)
                SELECT id, invoice_id, round(on_account_amount / 2, 2), credit_date + 5, '',
                  now()
                FROM billing_creditnote WHERE on_account_amount > 0
                """
            )
        # The invoices' settlement columns as the services keep them: paid = applications
        # (net of reversals), credited = credit notes' part on the invoice + credit applied.
        with timed(results, "gen_settlement"):
            cur.execute(
                """
                WITH paid AS (
                  SELECT invoice_id, sum(amount) AS s FROM billing_paymentapplication
                  GROUP BY invoice_id
                ), credited AS (
                  SELECT invoice_id, sum(s) AS s FROM (
                    SELECT invoice_id, total_amount - on_account_amount AS s
                      FROM billing_creditnote
                    UNION ALL
                    SELECT invoice_id, amount FROM billing_creditapplication
                  ) c GROUP BY invoice_id
                )
                UPDATE billing_invoice i
                SET paid_amount = coalesce(paid.s, 0), credited_amount = coalesce(credited.s, 0),
                    settlement_status = CASE
                      WHEN i.total_amount - coalesce(paid.s, 0) - coalesce(credited.s, 0) <= 0
                        THEN 'paid'
                      WHEN coalesce(paid.s, 0) + coalesce(credited.s, 0) > 0
                        THEN 'partially_paid'
                      ELSE 'unpaid' END
                FROM billing_invoice j
                LEFT JOIN paid ON paid.invoice_id = j.id
                LEFT JOIN credited ON credited.invoice_id = j.id
                WHERE i.id = j.id AND (paid.s IS NOT NULL OR credited.s IS NOT NULL)
                """
            )
            settle_sources(cur)
        for table in [
            "invoice",
            "creditnote",
            "creditapplication",
            "payment",
            "paymentapplication",
            "refund",
        ]:
            cur.execute(f"SELECT count(*) FROM billing_{table}")
            results[f"rows_{table}"] = cur.fetchone()[0]
    # What autovacuum does for a real book after a bulk load (hint bits, visibility map,
    # statistics); both contenders read the same tables afterwards.
    with timed(results, "gen_vacuum"), connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
