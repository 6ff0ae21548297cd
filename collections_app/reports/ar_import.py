"""Import of open AR from another system (CSV), for the cut-over to Ledgerline.

The file has one row per open invoice, with a header line naming the columns:

    invoice_number, account, invoice_date, due_date, currency, original_amount,
    open_amount, po_number (optional)

- ``account`` is the customer's Salesforce account id if an account has that id, else
  the account's exact legal name (case and spaces as stored). A legal name shared by two
  accounts is refused: use the Salesforce id then.
- Dates are ISO 8601 (YYYY-MM-DD). The invoice date is on or before the cut-over date;
  the due date on or after the invoice date.
- Amounts are plain numbers with a dot (1234.50), in the row's ISO 4217 currency, with no
  more decimals than the currency has (USD 2, JPY 0, KWD 3): an amount that would need
  rounding is refused, never rounded silently. 0 < open amount <= original amount.
- Invoice numbers keep the old system's numbers; a number already used in the legal
  entity, or twice in the file, is refused.

Every row is validated first and every fault is reported with its line number (the
header is line 1), field and reason. If any row is bad nothing is imported; otherwise the
whole file is written in one transaction.

What is written per row: an issued invoice (source "import", the old number) with one
line "Opening balance" for the original amount and no tax. The part already settled in
the old system (original - open) is recorded as a payment of method "opening" dated on
the cut-over date, fully applied to the invoice on the cut-over date. So:

- from the cut-over date on, the invoice's open amount, the aging and DSO show exactly
  the open amount of the file, and later payments, credit notes and reversals work as
  for any invoice;
- an as-of report for a date *before* the cut-over shows the imported invoice at its
  original amount (this system does not know when the old payments came in): history
  before the cut-over is the old system's; reconcile at the cut-over date.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from billing.models import Invoice, LegalEntity
from billing.services.invoicing import default_legal_entity
from billing.services.opening_balances import OpeningBalance, record_opening_balances
from core.errors import DomainValidationError
from core.money import is_known_currency, minor_unit
from ordermgmt.models import Account

REQUIRED_COLUMNS = [
    "invoice_number",
    "account",
    "invoice_date",
    "due_date",
    "currency",
    "original_amount",
    "open_amount",
]
OPTIONAL_COLUMNS = ["po_number"]
MAX_ROWS = 100_000
_AMOUNT = re.compile(r"^-?\d+(\.\d+)?$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class ImportRowError:
    line: int
    field: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


class OpenArImportRejected(DomainValidationError):
    """The file has errors; nothing was imported. `errors` lists every one."""

    def __init__(self, errors: list[ImportRowError]):
        self.errors = errors
        lines = len({e.line for e in errors})
        super().__init__(
            field="file",
            code="invalid_rows",
            message=(
                f"{len(errors)} error{'s' if len(errors) != 1 else ''} on {lines} "
                f"line{'s' if lines != 1 else ''}; nothing was imported."
            ),
        )


_Row = OpeningBalance  # one validated row of the file


@dataclass
class ImportResult:
    cutover_date: date
    invoice_ids: list[int]
    # currency -> (original total, open total)
    totals: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    @property
    def count(self) -> int:
        return len(self.invoice_ids)


def _normalize_header(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", (name or "").strip().lower())


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        return content.lstrip("\ufeff")
    try:
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise OpenArImportRejected(
            [
                ImportRowError(
                    0, "file", "not_utf8", "The file is not UTF-8 text (save as CSV UTF-8)."
                )
            ]
        ) from err


class _RowChecker:
    """Validates one row's cells, collecting errors instead of stopping at the first."""

    def __init__(self, line: int, errors: list[ImportRowError]):
        self.line = line
        self.errors = errors
        self.ok = True

    def fail(self, field_name: str, code: str, message: str) -> None:
        self.ok = False
        self.errors.append(ImportRowError(self.line, field_name, code, message))

    def text(self, cells: dict, name: str, max_length: int, required: bool = True) -> str:
        value = (cells.get(name) or "").strip()
        if required and not value:
            self.fail(name, "required", f"{name} is empty.")
        elif len(value) > max_length:
            self.fail(name, "too_long", f"{name} is longer than {max_length} characters.")
        return value

    def day(self, cells: dict, name: str) -> date | None:
        value = (cells.get(name) or "").strip()
        if not value:
            self.fail(name, "required", f"{name} is empty.")
            return None
        if not _DATE.match(value):
            self.fail(name, "invalid_date", f"{value!r} is not a date as YYYY-MM-DD.")
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(name, "invalid_date", f"{value!r} is not a calendar date.")
            return None

    def amount(self, cells: dict, name: str, currency: str | None) -> Decimal | None:
        value = (cells.get(name) or "").strip()
        if not value:
            self.fail(name, "required", f"{name} is empty.")
            return None
        if not _AMOUNT.match(value):
            self.fail(
                name,
                "invalid_amount",
                f"{value!r} is not a plain number (digits and a dot, e.g. 1234.50; no "
                "thousands separators or currency signs).",
            )
            return None
        try:
            amount = Decimal(value)
        except InvalidOperation:
            self.fail(name, "invalid_amount", f"{value!r} is not a number.")
            return None
        if amount <= 0:
            self.fail(name, "not_positive", f"{name} must be above zero.")
            return None
        if currency:
            places = minor_unit(currency)
            if amount != amount.quantize(Decimal(1).scaleb(-places)):
                self.fail(
                    name,
                    "not_rounded",
                    f"{value} has more decimals than {currency} allows ({places}); "
                    "give the amount in whole minor units.",
                )
                return None
        if amount >= Decimal("1e15"):
            self.fail(name, "too_large", f"{value} is too large.")
            return None
        return amount


def _account_index(tokens: set[str]) -> tuple[dict[str, Account], dict[str, list[Account]]]:
    by_salesforce = {a.salesforce_id: a for a in Account.objects.filter(salesforce_id__in=tokens)}
    by_name: dict[str, list[Account]] = defaultdict(list)
    for account in Account.objects.filter(legal_name__in=tokens).order_by("pk"):
        by_name[account.legal_name].append(account)
    return by_salesforce, by_name


def validate_open_ar(
    content: bytes | str, *, cutover_date: date, legal_entity: LegalEntity
) -> list[_Row]:
    """Every row checked; raises OpenArImportRejected listing every error."""
    errors: list[ImportRowError] = []
    if cutover_date > timezone.localdate():
        errors.append(
            ImportRowError(
                0, "cutover_date", "in_the_future", "The cut-over date cannot be after today."
            )
        )
    reader = csv.DictReader(io.StringIO(_decode(content), newline=""))
    header = [_normalize_header(h) for h in (reader.fieldnames or [])]
    if not header:
        raise OpenArImportRejected(
            [ImportRowError(1, "header", "empty_file", "The file is empty.")]
        )
    reader.fieldnames = header
    for name in REQUIRED_COLUMNS:
        if name not in header:
            errors.append(
                ImportRowError(1, name, "missing_column", f"The header has no {name} column.")
            )
    for name in header:
        if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS:
            errors.append(
                ImportRowError(
                    1,
                    name or "header",
                    "unknown_column",
                    f"Unknown column {name!r}; the columns are "
                    f"{', '.join(REQUIRED_COLUMNS + OPTIONAL_COLUMNS)}.",
                )
            )
    if len(set(header)) != len(header):
        errors.append(ImportRowError(1, "header", "duplicate_column", "A column appears twice."))
    if errors and any(e.line == 1 for e in errors):
        raise OpenArImportRejected(errors)

    raw_rows: list[tuple[int, dict]] = []
    line = 1
    for cells in reader:
        line = reader.line_num
        if None in cells:
            errors.append(
                ImportRowError(
                    line, "row", "extra_cells", "The row has more cells than the header."
                )
            )
            continue
        if not any((v or "").strip() for v in cells.values()):
            continue  # a blank line
        raw_rows.append((line, cells))
        if len(raw_rows) > MAX_ROWS:
            raise OpenArImportRejected(
                [ImportRowError(line, "file", "too_many_rows", f"At most {MAX_ROWS} rows a file.")]
            )
    if not raw_rows and not errors:
        errors.append(ImportRowError(2, "file", "no_rows", "The file has no invoice rows."))

    tokens = {(cells.get("account") or "").strip() for _, cells in raw_rows}
    by_salesforce, by_name = _account_index(tokens)
    numbers = {(cells.get("invoice_number") or "").strip() for _, cells in raw_rows}
    taken = set(
        Invoice.objects.filter(legal_entity=legal_entity, number__in=numbers).values_list(
            "number", flat=True
        )
    )
    first_line: dict[str, int] = {}
    rows: list[_Row] = []
    for line, cells in raw_rows:
        check = _RowChecker(line, errors)
        number = check.text(cells, "invoice_number", 40)
        if number:
            if number in taken:
                check.fail(
                    "invoice_number",
                    "duplicate_number",
                    f"Invoice {number} already exists in {legal_entity.name}.",
                )
            elif number in first_line:
                check.fail(
                    "invoice_number",
                    "duplicate_in_file",
                    f"Invoice {number} is also on line {first_line[number]}.",
                )
            else:
                first_line[number] = line
        account = None
        token = check.text(cells, "account", 200)
        if token:
            account = by_salesforce.get(token)
            if account is None:
                matches = by_name.get(token, [])
                if len(matches) == 1:
                    account = matches[0]
                elif len(matches) > 1:
                    check.fail(
                        "account",
                        "ambiguous_account",
                        f"{len(matches)} accounts have this legal name; give the Salesforce id.",
                    )
                else:
                    check.fail(
                        "account",
                        "unknown_account",
                        "No account has this Salesforce id or exact legal name.",
                    )
        currency = (cells.get("currency") or "").strip().upper()
        if not currency:
            check.fail("currency", "required", "currency is empty.")
            currency = None
        elif not is_known_currency(currency):
            check.fail("currency", "unknown_currency", f"{currency!r} is not an ISO 4217 code.")
            currency = None
        invoice_date = check.day(cells, "invoice_date")
        due_date = check.day(cells, "due_date")
        if invoice_date and invoice_date > cutover_date:
            check.fail(
                "invoice_date",
                "after_cutover",
                f"{invoice_date} is after the cut-over date {cutover_date}.",
            )
        if invoice_date and due_date and due_date < invoice_date:
            check.fail(
                "due_date", "before_invoice_date", "The due date is before the invoice date."
            )
        original = check.amount(cells, "original_amount", currency)
        open_amount = check.amount(cells, "open_amount", currency)
        if original is not None and open_amount is not None and open_amount > original:
            check.fail(
                "open_amount", "exceeds_original", "The open amount is more than the original."
            )
        po_number = check.text(cells, "po_number", 64, required=False)
        if check.ok:
            rows.append(
                _Row(
                    line,
                    number,
                    account,
                    invoice_date,
                    due_date,
                    currency,
                    original,
                    open_amount,
                    po_number,
                )
            )
    if errors:
        raise OpenArImportRejected(errors)
    return rows


@transaction.atomic(durable=True)
def import_open_ar(
    *,
    content: bytes | str,
    cutover_date: date,
    actor,
    legal_entity: LegalEntity | None = None,
) -> ImportResult:
    """Validate the whole file, then write every row (all or nothing)."""
    legal_entity = legal_entity or default_legal_entity()
    rows = validate_open_ar(content, cutover_date=cutover_date, legal_entity=legal_entity)
    invoices = record_opening_balances(
        balances=rows, cutover_date=cutover_date, legal_entity=legal_entity, actor=actor
    )

    totals: dict[str, tuple[Decimal, Decimal]] = {}
    for row in rows:
        original, open_ = totals.get(row.currency, (Decimal(0), Decimal(0)))
        totals[row.currency] = (original + row.original_amount, open_ + row.open_amount)
    return ImportResult(cutover_date, [i.pk for i in invoices], dict(sorted(totals.items())))
