"""Bank statements: import (CAMT.053), bank transactions and cash matching.

parsers/ read files, services.py writes (import, confirm, split, record unapplied, ignore),
matching.py proposes invoices for each incoming credit, selectors.py reads the queue.
Cash always goes through billing.services.payments (record_payment, apply_...)."""
