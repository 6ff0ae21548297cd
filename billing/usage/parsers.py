"""Usage files and request bodies as `(line number, event)` pairs for the ingestion service.

CSV has a header row with the columns `event_id, customer, contract, metric, quantity,
timestamp` (customer or contract may be empty); its line numbers count the header, as an
editor shows them. JSON lines has one object a line with the same keys; blank lines are
skipped but counted."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from operator import itemgetter

COLUMNS = ("event_id", "customer", "contract", "metric", "quantity", "timestamp")


BAD = ("", "", "", "", "", "")  # rejected by the checker as having no event id


def from_mapping(event: object) -> tuple:
    """The six texts of an event: a value stripped, None as empty; not a dict: BAD. The
    common value, a str, skips str() (one lookup a column: this runs once per event)."""
    if not isinstance(event, dict):
        return BAD
    texts = []
    for column in COLUMNS:
        value = event.get(column)
        if value is None:
            texts.append("")
        elif type(value) is str:
            texts.append(value.strip())
        else:
            texts.append(str(value).strip())
    return tuple(texts)


def csv_events(lines: Iterable[str]) -> Iterator[tuple[int, tuple]]:
    reader = csv.reader(lines)
    header = [name.strip().lower() for name in next(reader, [])]
    positions = [header.index(c) if c in header else None for c in COLUMNS]
    if None in positions:  # a missing optional column reads as empty
        width = len(header)
        for row in reader:
            row = row + [""] * (width - len(row))
            yield reader.line_num, tuple("" if p is None else row[p] for p in positions)
        return
    pick = itemgetter(*positions)
    width = max(positions) + 1
    for row in reader:
        yield reader.line_num, pick(row) if len(row) >= width else BAD


def jsonl_events(lines: Iterable[str]) -> Iterator[tuple[int, tuple]]:
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            event = json.loads(text)
        except ValueError:
            event = None
        yield number, from_mapping(event)


def body_events(events: list) -> Iterator[tuple[int, tuple]]:
    for number, event in enumerate(events, start=1):
        yield number, from_mapping(event)


def plain_csv_header(data: bytes) -> list[str] | None:
    """The header's column names when the file is plain enough for the database to split
    as sent: exactly the six columns (any order), no quoting (so one event a line) and
    plain newlines. None otherwise (parsed in Python, with the same result)."""
    if b'"' in data or b"\r" in data:
        return None
    end = data.find(b"\n")
    header = data if end < 0 else data[:end]
    names = [name.strip().lower() for name in header.decode("utf-8", "replace").split(",")]
    return names if sorted(names) == sorted(COLUMNS) else None
