"""CSV of what a console list shows: the list's own FilterSet (billing/filters.py,
ordermgmt/filters.py) and sort, streamed row by row, permissioned by the caller and
logged in the one export log. In core so that every app's lists use the same writer."""

from __future__ import annotations

import csv
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.http import StreamingHttpResponse
from django.utils import timezone

from core.export_log import log_export
from core.money import minor_unit

logger = logging.getLogger(__name__)

CHUNK = 2000


@dataclass(frozen=True)
class Column:
    header: str
    value: Callable[[object], object]


def plain_amount(amount, currency: str) -> str:
    """Digits with the currency's decimals, no symbol or grouping: for spreadsheets."""
    return f"{amount:.{minor_unit(currency)}f}"


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    # A cell a spreadsheet would run as a formula is kept as text.
    return f"'{text}" if text[:1] in ("=", "+", "-", "@") and not _number(text) else text


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


class _Line:
    def write(self, value: str) -> str:
        return value


def _lines(header: Sequence[str], queryset, columns: Sequence[Column], log) -> Iterator[str]:
    writer = csv.writer(_Line(), lineterminator="\r\n")
    yield "\ufeff" + writer.writerow(header)
    sent = 0
    try:
        # In a transaction the server-side cursor hands out rows as they are read; in
        # autocommit PostgreSQL would run the whole query (WITH HOLD) before the first row.
        with transaction.atomic():
            for obj in queryset.iterator(chunk_size=CHUNK):
                line = writer.writerow([_cell(column.value(obj)) for column in columns])
                sent += 1
                yield line
    finally:
        # Also when the download stops early: the log counts the rows that were sent.
        type(log).objects.filter(pk=log.pk).update(row_count=sent)
        logger.info(
            "export %s.csv by user %s: %d rows (log %s)", log.report, log.user_id, sent, log.pk
        )


def filter_parameters(filterset) -> dict:
    """The filters as the user gave them (valid ones only), for the export log."""
    data = filterset.form.cleaned_data if filterset.is_bound and filterset.is_valid() else {}
    return {
        key: value.isoformat() if isinstance(value, date) else str(value)
        for key, value in data.items()
        if value not in (None, "", [])
    }


def csv_response(*, user, report: str, filterset, columns: Sequence[Column]):
    """Streams `filterset.qs` as CSV, logged in the export log (who, which filters, how
    many rows). The log row is written before the first byte, so that every download is
    logged; its row count is the rows actually sent, set when the stream ends, because an
    exact COUNT of a million-row list before the first byte costs more than the page."""
    queryset = filterset.qs
    log = log_export(
        user=user,
        report=report,
        file_format="csv",
        parameters=filter_parameters(filterset),
        rows=0,
    )
    response = StreamingHttpResponse(
        _lines([c.header for c in columns], queryset, columns, log),
        content_type="text/csv; charset=utf-8",
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="{report}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
