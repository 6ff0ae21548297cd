"""Parser for the SOQL subset the simulator understands.

SELECT f, Rel.f, COUNT(), (SELECT ... FROM ChildRelationship ...)
FROM Object [WHERE cond] [ORDER BY f [ASC|DESC] [NULLS FIRST|LAST], ...] [LIMIT n] [OFFSET n]

cond: comparisons (= != <> < <= > >= LIKE IN NOT IN, IN (SELECT f FROM Obj ...)) joined
by AND/OR/NOT and parentheses. Like Salesforce, AND and OR may not be mixed at one level
without parentheses. Everything else (GROUP BY, WITH, TYPEOF, FOR UPDATE, aggregate
functions other than COUNT()) is rejected as MALFORMED_QUERY rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from .values import StoreError, parse_date, parse_datetime

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*')
  | (?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)
  | (?P<date>\d{4}-\d{2}-\d{2})
  | (?P<number>[+-]?\d+(?:\.\d+)?)
  | (?P<op>!=|<>|<=|>=|=|<|>)
  | (?P<punct>[(),])
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*(?::\d+)?)
    """,
    re.VERBOSE,
)
_ESCAPES = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    '"': '"',
    "'": "'",
    "\\": "\\",
    "%": "\\%",
    "_": "\\_",
}
_UNSUPPORTED = {"GROUP", "HAVING", "WITH", "FOR", "TYPEOF", "USING", "UPDATE"}
DATE_LITERALS = {"TODAY", "YESTERDAY", "TOMORROW", "LAST_N_DAYS", "NEXT_N_DAYS"}


def malformed(message: str) -> StoreError:
    return StoreError("MALFORMED_QUERY", message)


@dataclass(frozen=True)
class Token:
    kind: str
    text: str
    value: Any = None

    def is_kw(self, *words: str) -> bool:
        return self.kind == "ident" and self.text.upper() in words


@dataclass(frozen=True)
class Literal:
    # string | number | boolean | null | date | datetime | dateliteral
    kind: str
    value: Any


@dataclass
class Condition:
    path: str
    op: str  # = != < <= > >= LIKE IN NOTIN
    value: Literal | list[Literal] | Query


@dataclass
class BoolOp:
    op: str  # AND | OR
    items: list[Any]


@dataclass
class Not:
    item: Any


@dataclass
class SubQuery:
    relationship: str
    query: Query


@dataclass
class OrderItem:
    path: str
    descending: bool
    nulls_first: bool


@dataclass
class Query:
    object: str
    fields: list[str | SubQuery] = field(default_factory=list)
    count_only: bool = False
    where: Any = None
    order: list[OrderItem] = field(default_factory=list)
    limit: int | None = None
    offset: int | None = None


def _unescape(raw: str) -> str:
    out: list[str] = []
    chars = iter(raw[1:-1])
    for char in chars:
        if char != "\\":
            out.append(char)
            continue
        nxt = next(chars, "")
        if nxt == "u":
            code = "".join(next(chars, "") for _ in range(4))
            if not re.fullmatch(r"[0-9a-fA-F]{4}", code):
                raise malformed(f"Invalid unicode escape in string literal {raw}")
            out.append(chr(int(code, 16)))
        elif nxt in _ESCAPES:
            out.append(_ESCAPES[nxt])  # \% and \_ stay escaped for LIKE
        else:
            raise malformed(
                f"Invalid string literal '{raw}'. Illegal character sequence "
                f"'\\{nxt}' in string literal."
            )
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN_RE.match(text, pos)
        if not match:
            raise malformed(f"unexpected token: '{text[pos : pos + 20]}'")
        kind = match.lastgroup or ""
        raw = match.group()
        pos = match.end()
        if kind == "ws":
            continue
        value: Any = None
        if kind == "string":
            value = _unescape(raw)
        elif kind == "datetime":
            value = parse_datetime(raw)
            if value is None:
                raise malformed(
                    f"line 1:{match.start()} Invalid datetime: {raw} (a datetime "
                    "literal needs a time zone: Z or +hh:mm)"
                )
        elif kind == "date":
            value = parse_date(raw)
            if value is None:
                raise malformed(f"Invalid date: {raw}")
        elif kind == "number":
            value = Decimal(raw)
        tokens.append(Token(kind, raw, value))
    tokens.append(Token("end", "<EOF>"))
    return tokens


class Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.pos = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.pos + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.pos += 1
        return token

    def expect_kw(self, *words: str) -> Token:
        token = self.take()
        if not token.is_kw(*words):
            raise malformed(f"unexpected token: '{token.text}' (expected {' '.join(words)})")
        return token

    def expect(self, text: str) -> None:
        token = self.take()
        if token.text != text:
            raise malformed(f"unexpected token: '{token.text}' (expected '{text}')")

    def ident(self) -> str:
        token = self.take()
        if token.kind != "ident" or ":" in token.text:
            raise malformed(f"unexpected token: '{token.text}'")
        return token.text

    # --- statement -------------------------------------------------------------------

    def parse(self) -> Query:
        query = self.query()
        if self.peek().kind != "end":
            raise malformed(f"unexpected token: '{self.peek().text}'")
        return query

    def query(self) -> Query:
        self.expect_kw("SELECT")
        items: list[str | SubQuery] = []
        count_only = False
        while True:
            token = self.peek()
            if token.text == "(":
                self.take()
                inner = self.query()
                self.expect(")")
                items.append(SubQuery(inner.object, inner))
            elif token.is_kw("COUNT") and self.peek(1).text == "(":
                self.take()
                self.take()
                if self.peek().text != ")":
                    raise malformed("only COUNT() without a field is supported")
                self.take()
                count_only = True
            elif token.is_kw("FROM") or token.kind != "ident":
                raise malformed(f"unexpected token: '{token.text}'")
            else:
                items.append(self.ident())
            if self.peek().text != ",":
                break
            self.take()
        if count_only and items:
            raise malformed("COUNT() must be the only element in the SELECT list")
        self.expect_kw("FROM")
        query = Query(object=self.ident(), fields=items, count_only=count_only)
        token = self.peek()
        if token.kind == "ident" and token.text.upper() in _UNSUPPORTED:
            raise malformed(f"{token.text.upper()} is not supported by the simulator")
        if token.is_kw("WHERE"):
            self.take()
            query.where = self.condition()
        if self.peek().is_kw("ORDER"):
            self.take()
            self.expect_kw("BY")
            query.order = self.order_items()
        if self.peek().is_kw("LIMIT"):
            self.take()
            query.limit = self.integer()
        if self.peek().is_kw("OFFSET"):
            self.take()
            query.offset = self.integer()
        token = self.peek()
        if token.kind == "ident" and token.text.upper() in _UNSUPPORTED:
            raise malformed(f"{token.text.upper()} is not supported by the simulator")
        return query

    def integer(self) -> int:
        token = self.take()
        if token.kind != "number" or token.value != token.value.to_integral() or token.value < 0:
            raise malformed(f"unexpected token: '{token.text}' (expected a non-negative integer)")
        return int(token.value)

    def order_items(self) -> list[OrderItem]:
        items = []
        while True:
            path = self.ident()
            descending = False
            if self.peek().is_kw("ASC", "DESC"):
                descending = self.take().text.upper() == "DESC"
            nulls_first = not descending
            if self.peek().is_kw("NULLS"):
                self.take()
                nulls_first = self.expect_kw("FIRST", "LAST").text.upper() == "FIRST"
            items.append(OrderItem(path, descending, nulls_first))
            if self.peek().text != ",":
                return items
            self.take()

    # --- conditions ------------------------------------------------------------------

    def condition(self) -> Any:
        first = self.unary()
        if not self.peek().is_kw("AND", "OR"):
            return first
        joiner = self.peek().text.upper()
        items = [first]
        while self.peek().is_kw("AND", "OR"):
            word = self.take().text.upper()
            if word != joiner:
                raise malformed(f"unexpected token: '{word}' (mixing AND and OR needs parentheses)")
            items.append(self.unary())
        return BoolOp(joiner, items)

    def unary(self) -> Any:
        if self.peek().is_kw("NOT"):
            self.take()
            return Not(self.unary())
        if self.peek().text == "(":
            self.take()
            inner = self.condition()
            self.expect(")")
            return inner
        return self.comparison()

    def comparison(self) -> Condition:
        path = self.ident()
        token = self.take()
        if token.kind == "op":
            return Condition(path, "!=" if token.text == "<>" else token.text, self.literal())
        if token.is_kw("LIKE"):
            value = self.literal()
            if value.kind != "string":
                raise malformed("LIKE needs a quoted string")
            return Condition(path, "LIKE", value)
        negate = False
        if token.is_kw("NOT") and self.peek().is_kw("IN"):
            negate = True
            token = self.take()
        if token.is_kw("IN"):
            self.expect("(")
            values: list[Literal] | Query
            if self.peek().is_kw("SELECT"):
                values = self.query()
            else:
                values = [self.literal()]
                while self.peek().text == ",":
                    self.take()
                    values.append(self.literal())
            self.expect(")")
            return Condition(path, "NOTIN" if negate else "IN", values)
        raise malformed(f"unexpected token: '{token.text}'")

    def literal(self) -> Literal:
        token = self.take()
        if token.kind in ("string", "number", "date", "datetime"):
            return Literal(token.kind, token.value)
        if token.is_kw("TRUE", "FALSE"):
            return Literal("boolean", token.text.upper() == "TRUE")
        if token.is_kw("NULL"):
            return Literal("null", None)
        if token.kind == "ident":
            name, _, days = token.text.upper().partition(":")
            if name in DATE_LITERALS and bool(days) == name.endswith("_N_DAYS"):
                return Literal("dateliteral", (name, int(days or 0)))
        raise malformed(f"unexpected token: '{token.text}'")


def parse(text: str) -> Query:
    if not text or not text.strip():
        raise malformed("empty query")
    return Parser(text).parse()


def date_literal_range(literal: Literal, today: date) -> tuple[date, date]:
    """[start, end) dates a relative date literal such as LAST_N_DAYS:7 stands for."""
    name, days = literal.value
    one = timedelta(days=1)
    ranges = {
        "TODAY": (today, today + one),
        "YESTERDAY": (today - one, today),
        "TOMORROW": (today + one, today + 2 * one),
        # Salesforce: LAST_N_DAYS:n starts n days ago at 00:00 and includes today.
        "LAST_N_DAYS": (today - days * one, today + one),
        "NEXT_N_DAYS": (today + one, today + (days + 1) * one),
    }
    return ranges[name]
