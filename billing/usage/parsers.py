"""Usage files and request bodies as `(line number, event)` pairs for the ingestion service.

CSV has a header row with the columns `event_id, customer, contract, metric, quantity,
timestamp` (customer or contract may be empty); its line numbers count the header, as an
editor shows them. JSON lines has one object a line with the same keys; blank lines are
skipped but counted."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator

COLUMNS = ("event_id", "customer", "contract", "metric", "quantity", "timestamp")


def csv_events(lines: Iterable[str]) -> Iterator[tuple[int, dict]]:
    reader = csv.DictReader(lines)
    for row in reader:
        yield reader.line_num, row


def jsonl_events(lines: Iterable[str]) -> Iterator[tuple[int, dict]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        yield number, event if isinstance(event, dict) else {"event_id": "", "_bad_json": True}


def body_events(events: list) -> Iterator[tuple[int, dict]]:
    for number, event in enumerate(events, start=1):
        yield number, event if isinstance(event, dict) else {}
