"""Global search across the book: customers, contracts, opportunities, invoices, credit
notes and payments, by number, name, PO number, processor reference or exact amount."""

from .selectors import SearchGroup, SearchHit, search_book

__all__ = ["SearchGroup", "SearchHit", "search_book"]
