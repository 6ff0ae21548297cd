"""Bank statement files read into plain records (no database): CAMT.053 today.

Each parser returns `ParsedStatement`s whose entries carry the bank's own reference, and
checks the file's control totals (entry counts and sums, opening + credits - debits =
closing) before anything is saved."""

from billing.bank.parsers.camt053 import parse_camt053
from billing.bank.parsers.records import ParsedEntry, ParsedStatement
from billing.error_codes import BillingError

__all__ = ["ParsedEntry", "ParsedStatement", "parse_camt053", "parse_statement_file"]


def parse_statement_file(content: bytes, *, file_format: str = "camt053") -> list[ParsedStatement]:
    if file_format == "camt053":
        return parse_camt053(content)
    from core.errors import DomainValidationError

    raise DomainValidationError(
        field="file_format",
        code=BillingError.UNSUPPORTED_FORMAT,
        message=f"{file_format!r} files cannot be imported yet; CAMT.053 can.",
    )
