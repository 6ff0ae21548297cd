"""Statements of account: per customer, currency and date range, the opening balance,
every invoice, credit note, write-off, payment and refund of the period with a running
balance, the closing balance (which equals the AR aging's net total as of the end date)
and the aging of what is open; as PDF (WeasyPrint) and CSV."""
