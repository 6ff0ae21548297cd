"""Days sales outstanding (research/accounting-conventions.md section 6).

Simple DSO = ending AR / credit sales in the period x days in the period [AR-DSO-001].
Countback DSO walks back from the latest month, taking each month's credit sales away
from AR until AR is used up; full months add their days, the last month adds
days x remaining AR / that month's sales [AR-DSO-002, AR-DSO-003].

Definitions used here (defaults per section 6, the alternatives are settings):

- **Ending AR** is the AR balance as of the period's end date, by the as-of rules of the
  aging (`aging.py`): net AR by default, i.e. open invoices less unapplied credits
  (unapplied cash and credit on account), so it equals the aging's net total
  [AR-DSO-004]; gross AR (open invoices only) as a setting.
- **Credit sales** are the totals *including tax* of the invoices dated in the period
  (issued ones, and those voided since, billed here or imported), *less the credit notes
  dated in the period* (the void of an invoice is one). Tax is included because AR
  includes it: the ratio compares like with like. A credit note reverses a sale, so it
  reduces the sales of the period it is dated in; an invoice issued and voided in the
  same period adds nothing.
- **Days in the period**: actual calendar days, start and end inclusive.
- **Countback months** are calendar months; the latest is the month of the end date, up
  to the end date (its elapsed days). With 30-day months every month counts 30 days
  (the latest month: its elapsed days, at most 30). The walk stops after
  `COUNTBACK_MAX_MONTHS`; if AR is still not used up the result says so (`exhausted`).
- **Currencies**: for one document currency nothing is converted. Otherwise AR and
  sales of every currency are converted to the reporting currency at the rate as of the
  end date (the latest rate dated on or before it, decision 9.4); a missing rate gives
  no figure and a message, never a silent 1:1.

Everything is computed at full precision; pages show two decimals.

Split by domain into `book`, `calculation`; everything is re-exported here.
"""

from .book import (
    DsoBook,
    add_months,
    ar_balances,
    countback_months,
    credit_sales,
    credit_sales_by_day,
    dso_for_period,
    dso_trend,
    dso_with_trend,
    first_of_month,
    month_end,
    monthly_credit_sales,
    period_default,
    read_dso_book,
    trend_ends,
)
from .calculation import (
    COUNTBACK_MAX_MONTHS,
    TREND_MONTHS,
    ZERO,
    ArBasis,
    Countback,
    CountbackStep,
    DsoMethod,
    DsoParams,
    DsoResult,
    MonthDays,
    MonthSales,
    TrendPoint,
    countback_dso,
    simple_dso,
)

__all__ = [
    "ArBasis",
    "COUNTBACK_MAX_MONTHS",
    "Countback",
    "CountbackStep",
    "DsoBook",
    "DsoMethod",
    "DsoParams",
    "DsoResult",
    "MonthDays",
    "MonthSales",
    "TREND_MONTHS",
    "TrendPoint",
    "ZERO",
    "add_months",
    "ar_balances",
    "countback_dso",
    "countback_months",
    "credit_sales",
    "credit_sales_by_day",
    "dso_for_period",
    "dso_trend",
    "dso_with_trend",
    "first_of_month",
    "month_end",
    "monthly_credit_sales",
    "period_default",
    "read_dso_book",
    "simple_dso",
    "trend_ends",
]
