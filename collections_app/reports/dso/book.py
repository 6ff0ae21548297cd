"""DSO from the book: AR balances and credit sales read once, then the figures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection
from django.db.models import Sum

from billing.models import ArDailyTotal, CreditNote, Invoice
from billing.selectors.ar_as_of import AR_MOVEMENTS, issued_invoice_q
from core.dates import add_months, month_end
from core.dates import month_start as first_of_month
from core.money import round_money

from ..aging import (
    RateUsed,
    fx_rates_as_of,
)
from .calculation import (
    COUNTBACK_MAX_MONTHS,
    TREND_MONTHS,
    ZERO,
    ArBasis,
    DsoMethod,
    DsoParams,
    DsoResult,
    MonthDays,
    MonthSales,
    TrendPoint,
    countback_dso,
    simple_dso,
)


def reads_daily_totals(every_movement: bool = False) -> bool:
    """The maintained daily totals (billing.models.ArDailyTotal) exist on PostgreSQL; the
    SQLite demo, and the tests and benchmark that compare the two, read every movement."""
    return connection.vendor == "postgresql" and not every_movement


def _daily_totals(first: date | None, last: date, currency: str | None, column: str):
    """[(currency, day, amount...)] of the maintained daily totals from first to last."""
    rows = ArDailyTotal.objects.filter(day__lte=last)
    if first is not None:
        rows = rows.filter(day__gte=first)
    if currency:
        rows = rows.filter(currency=currency)
    return rows.values_list("currency", "day", *column.split(",")).order_by()


def ar_balances(
    dates: Sequence[date], currency: str | None = None, *, every_movement: bool = False
) -> dict:
    """{as_of: {currency: (gross AR, unapplied cash and credit)}} for several dates at
    once, by billing's one as-of rule (billing.selectors.ar_as_of). Each movement is one
    query grouped by currency and by the day from which its rows count (a row counts as
    of D when that day <= D); running sums over those days give every date's balance, so
    the cost does not grow with the number of dates. On PostgreSQL the sums per day are
    maintained (billing.models.ArDailyTotal): one read of a row per currency and day."""
    by_date: dict[date, dict[str, list[Decimal]]] = {d: {} for d in dates}
    if not by_date:
        return {}
    ordered = sorted(by_date)

    def add(queryset, currency_field: str, amount: str, counts_from, targets):
        """`counts_from`: the day (field name or expression) from which a row counts;
        `targets`: (slot, sign) pairs its amount goes to (0 gross AR, 1 unapplied cash)."""
        if currency:
            queryset = queryset.filter(**{currency_field: currency})
        rows = (
            queryset.annotate(counts_from=counts_from)
            .filter(counts_from__lte=ordered[-1])
            .values(currency_field, "counts_from")
            .annotate(total=Sum(amount))
            .order_by()
        )
        days: dict[str, list[tuple[date, Decimal]]] = {}
        for row in rows:
            days.setdefault(row[currency_field], []).append((row["counts_from"], row["total"]))
        for code, movements in days.items():
            movements.sort()
            running, i = ZERO, 0
            for d in ordered:
                while i < len(movements) and movements[i][0] <= d:
                    running += movements[i][1] or ZERO
                    i += 1
                sums = by_date[d].setdefault(code, [ZERO, ZERO])
                for slot, sign in targets:
                    sums[slot] += sign * running

    if reads_daily_totals(every_movement):
        days: dict[str, list] = {}
        rows = _daily_totals(None, ordered[-1], currency, "gross_amount,unapplied_amount")
        for code, day, gross, unapplied in rows:
            days.setdefault(code, []).append((day, gross, unapplied))
        for code, movements in days.items():
            movements.sort()
            running, i = [ZERO, ZERO], 0
            for d in ordered:
                while i < len(movements) and movements[i][0] <= d:
                    running = [running[0] + movements[i][1], running[1] + movements[i][2]]
                    i += 1
                by_date[d][code] = list(running)
        movements_to_read: tuple = ()
    else:
        movements_to_read = AR_MOVEMENTS
    for movement in movements_to_read:
        targets = [(0, movement.gross), (1, movement.unapplied)]
        add(
            movement.rows(),
            movement.currency_field,
            movement.amount,
            movement.counts_from(),
            [(slot, sign) for slot, sign in targets if sign],
        )
    # Every currency seen appears on every date (zero where nothing counted yet).
    seen = {code for per in by_date.values() for code in per}
    return {
        d: {code: tuple(per.get(code, [ZERO, ZERO])) for code in seen} for d, per in by_date.items()
    }


def credit_sales_by_day(
    first: date, end: date, currency: str | None = None, *, every_movement: bool = False
) -> dict:
    """{(day, currency): invoices dated that day less credit notes dated that day}, for
    first..end: the credit sales definition of this module, one query per table (on
    PostgreSQL, the maintained daily totals)."""
    if reads_daily_totals(every_movement):
        return {
            (day, code): amount
            for code, day, amount in _daily_totals(first, end, currency, "sales_amount")
            if amount
        }
    sales: dict[tuple[date, str], Decimal] = {}
    invoices = Invoice.objects.filter(
        issued_invoice_q(), invoice_date__gte=first, invoice_date__lte=end
    )
    notes = CreditNote.objects.filter(
        issued_invoice_q("invoice__"), credit_date__gte=first, credit_date__lte=end
    )
    if currency:
        invoices = invoices.filter(currency=currency)
        notes = notes.filter(currency=currency)
    for queryset, date_field, sign in [(invoices, "invoice_date", 1), (notes, "credit_date", -1)]:
        rows = (
            queryset.values(date_field, "currency").annotate(total=Sum("total_amount")).order_by()
        )
        for row in rows:
            key = (row[date_field], row["currency"])
            sales[key] = sales.get(key, ZERO) + sign * row["total"]
    return sales


def _monthly(by_day: dict, first_month: date, end: date) -> dict:
    """{(month, currency): credit sales} of the days first_month..end."""
    sales: dict[tuple[date, str], Decimal] = {}
    for (day, code), amount in by_day.items():
        if first_month <= day <= end:
            key = (first_of_month(day), code)
            sales[key] = sales.get(key, ZERO) + amount
    return sales


def _period(by_day: dict, start: date, end: date) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = {}
    for (day, code), amount in by_day.items():
        if start <= day <= end:
            totals[code] = totals.get(code, ZERO) + amount
    return totals


def monthly_credit_sales(first_month: date, end: date, currency: str | None = None) -> dict:
    """{(month, currency): invoices dated in the month up to `end`, less credit notes
    dated in the month} — the credit sales definition of this module."""
    return _monthly(credit_sales_by_day(first_month, end, currency), first_month, end)


def credit_sales(start: date, end: date, currency: str | None = None) -> dict[str, Decimal]:
    """{currency: credit sales of the period} (invoices less credit notes, both by date)."""
    return _period(credit_sales_by_day(start, end, currency), start, end)


def countback_months(end: date, month_days: str, count: int) -> list[tuple[date, int]]:
    """(first day, days counted) for `count` months back from the month of `end`,
    latest first. The latest month counts its elapsed days (at most 30 with 30-day
    months)."""
    months = []
    for back in range(count):
        first = add_months(first_of_month(end), -back)
        if back == 0:
            days = end.day
            if month_days == MonthDays.THIRTY:
                days = 30 if end == month_end(end) else min(end.day, 30)
        else:
            days = 30 if month_days == MonthDays.THIRTY else month_end(first).day
        months.append((first, days))
    return months


class _Converter:
    """Amounts per currency into one figure: as they are for a single currency, else in
    the reporting currency at the rates as of a date."""

    def __init__(self, params: DsoParams, currencies, as_of: date):
        self.single = params.currency
        self.rates: dict[str, RateUsed] = {}
        self.missing: list[str] = []
        if not self.single:
            self.rates, self.missing = fx_rates_as_of(currencies, params.reporting_currency, as_of)

    @property
    def ok(self) -> bool:
        return not self.missing

    def total(self, per_currency: dict[str, Decimal]) -> Decimal:
        if self.single:
            return per_currency.get(self.single, ZERO)
        total = ZERO
        for code, amount in per_currency.items():
            if not amount:
                continue
            rate = self.rates[code]
            total += round_money(amount * rate.rate, rate.reporting_currency)
        return total


def _needed_currencies(balances: dict, monthly: dict, as_of: date) -> set[str]:
    """Currencies with an amount that a figure as of `as_of` uses: only those need a rate."""
    needed = {code for code, (gross, unapplied) in balances.items() if gross or unapplied}
    needed |= {code for (month, code), amount in monthly.items() if amount and month <= as_of}
    return needed


@dataclass(frozen=True)
class DsoBook:
    """What the DSO figures read from the database, read once and shared by the period
    figure and the trend: AR balances as of each date and credit sales per day."""

    balances: dict  # ar_balances(...) for the period end and the trend's month ends
    sales_by_day: dict  # credit_sales_by_day(...) from the earliest day any figure needs

    def balances_as_of(self, as_of: date) -> dict:
        return self.balances[as_of]


def trend_ends(end: date, months: int = TREND_MONTHS) -> list[date]:
    """The trend's points: each of the last `months` month ends up to `end` (the last
    point is `end` itself), oldest first."""
    return [
        min(month_end(add_months(first_of_month(end), -back)), end)
        for back in range(months - 1, -1, -1)
    ]


def _countback_first(as_of: date) -> date:
    return add_months(first_of_month(as_of), -(COUNTBACK_MAX_MONTHS - 1))


def read_dso_book(
    params: DsoParams, trend_months: int = 0, *, every_movement: bool = False
) -> DsoBook:
    """The period figure's inputs, and the trend's if `trend_months`: one query per table,
    whatever the number of dates."""
    dates = [params.end, *trend_ends(params.end, trend_months)] if trend_months else [params.end]
    first = min(params.start, _countback_first(min(dates)))
    return DsoBook(
        balances=ar_balances(dates, params.currency, every_movement=every_movement),
        sales_by_day=credit_sales_by_day(
            first, params.end, params.currency, every_movement=every_movement
        ),
    )


def dso_for_period(params: DsoParams, *, book: DsoBook | None = None) -> DsoResult:
    """DSO for the period; `book` (read_dso_book) saves reading the database again."""
    book = book or read_dso_book(params)
    balances = book.balances_as_of(params.end)
    sales = _period(book.sales_by_day, params.start, params.end)
    monthly = _monthly(book.sales_by_day, _countback_first(params.end), params.end)
    currencies = _needed_currencies(balances, monthly, params.end) | {
        c for c, a in sales.items() if a
    }
    converter = _Converter(params, currencies, params.end)
    if not converter.ok:
        return DsoResult(
            params=params,
            currency=params.figure_currency,
            ending_ar=None,
            gross_ar=None,
            unapplied_credits=None,
            credit_sales=None,
            days=params.days,
            simple=None,
            countback=None,
            rates=[],
            missing_rates=converter.missing,
        )
    gross = converter.total({code: g for code, (g, _) in balances.items()})
    unapplied = converter.total({code: u for code, (_, u) in balances.items()})
    ending_ar = gross - unapplied if params.ar_basis == ArBasis.NET else gross
    period_sales = converter.total(sales)
    months = [
        MonthSales(
            first_day,
            days,
            converter.total(
                {code: amount for (m, code), amount in monthly.items() if m == first_day}
            ),
        )
        for first_day, days in countback_months(params.end, params.month_days, COUNTBACK_MAX_MONTHS)
    ]
    return DsoResult(
        params=params,
        currency=params.figure_currency,
        ending_ar=ending_ar,
        gross_ar=gross,
        unapplied_credits=-unapplied if unapplied else ZERO,
        credit_sales=period_sales,
        days=params.days,
        simple=simple_dso(ending_ar, period_sales, params.days),
        countback=countback_dso(ending_ar, months),
        rates=list(converter.rates.values()),
        missing_rates=[],
    )


def dso_trend(
    params: DsoParams, months: int = TREND_MONTHS, *, book: DsoBook | None = None
) -> list[TrendPoint]:
    """DSO at each of the last `months` month-ends up to params.end (the last point is
    params.end itself). Simple DSO uses each calendar month as its period; countback
    walks back from each point. Same AR basis, day count and currency rules."""
    points = []
    ends = trend_ends(params.end, months)
    if book is None:
        book = DsoBook(
            balances=ar_balances(ends, params.currency),
            sales_by_day=credit_sales_by_day(
                _countback_first(ends[0]), params.end, params.currency
            ),
        )
    monthly = _monthly(book.sales_by_day, _countback_first(ends[0]), params.end)
    for as_of in ends:
        balances = book.balances_as_of(as_of)
        currencies = _needed_currencies(balances, monthly, as_of)
        converter = _Converter(params, currencies, as_of)
        if not converter.ok:
            points.append(TrendPoint(first_of_month(as_of), as_of, None, None, None))
            continue
        gross = converter.total({c: g for c, (g, _) in balances.items()})
        unapplied = converter.total({c: u for c, (_, u) in balances.items()})
        ending_ar = gross - unapplied if params.ar_basis == ArBasis.NET else gross
        month_sales = [
            MonthSales(
                first_day,
                days,
                converter.total({c: a for (m, c), a in monthly.items() if m == first_day}),
            )
            for first_day, days in countback_months(as_of, params.month_days, COUNTBACK_MAX_MONTHS)
        ]
        this_month = month_sales[0]
        if params.method == DsoMethod.COUNTBACK:
            value = countback_dso(ending_ar, month_sales).dso
        else:
            value = simple_dso(ending_ar, this_month.sales, (as_of - this_month.month).days + 1)
        points.append(TrendPoint(this_month.month, as_of, value, ending_ar, this_month.sales))
    return points


def dso_with_trend(
    params: DsoParams, months: int = TREND_MONTHS, *, every_movement: bool = False
) -> tuple[DsoResult, list[TrendPoint]]:
    """What the DSO page shows: the period figure and the trend, from one reading
    (`every_movement`: see reads_daily_totals)."""
    book = read_dso_book(params, months, every_movement=every_movement)
    return dso_for_period(params, book=book), dso_trend(params, months, book=book)


def period_default(today: date) -> tuple[date, date]:
    """The last twelve full months."""
    end = first_of_month(today) - timedelta(days=1)
    return add_months(first_of_month(end), -11), end
