"""Bank statement files read into plain records (no database): CAMT.053, BAI2 and MT940.

Each parser returns `ParsedStatement`s whose entries carry the bank's own reference, and
checks the file's control totals (entry counts and sums, opening + credits - debits =
closing) before anything is saved."""

from billing.bank.parsers.bai2_file import parse_bai2
from billing.bank.parsers.camt053 import parse_camt053
from billing.bank.parsers.mt940_file import parse_mt940
from billing.bank.parsers.records import ParsedEntry, ParsedStatement
from billing.error_codes import BillingError

__all__ = [
    "FILE_FORMATS",
    "detect_format",
    "ParsedEntry",
    "ParsedStatement",
    "parse_bai2",
    "parse_camt053",
    "parse_mt940",
    "parse_statement_file",
]

PARSERS = {"camt053": parse_camt053, "bai2": parse_bai2, "mt940": parse_mt940}
FILE_FORMATS = [("camt053", "CAMT.053 (ISO 20022)"), ("bai2", "BAI2"), ("mt940", "MT940 (SWIFT)")]


def detect_format(content: bytes) -> str:
    """The format a file's first characters announce: XML is CAMT.053, a BAI2 file
    starts with its file header record (01,), an MT940 with a SWIFT block or :20:."""
    head = content.lstrip(b"\xef\xbb\xbf \t\r\n")[:64]
    if head.startswith(b"01,"):
        return "bai2"
    if head.startswith((b":20:", b"{1:", b":940:")):
        return "mt940"
    return "camt053"


def parse_statement_file(
    content: bytes, *, file_format: str | None = None
) -> list[ParsedStatement]:
    file_format = file_format or detect_format(content)
    parser = PARSERS.get(file_format)
    if parser is not None:
        return parser(content)
    from core.errors import DomainValidationError

    raise DomainValidationError(
        field="file_format",
        code=BillingError.UNSUPPORTED_FORMAT,
        message=f"{file_format!r} files cannot be imported; CAMT.053, BAI2 and MT940 can.",
    )
