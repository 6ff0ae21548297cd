"""Write-offs: bad debt and small balances taken off an invoice through a credit-like
document in its own number series (WO-2026-000001), dated the write-off date, so AR,
aging and DSO see it as of that date. Above a threshold a second person approves."""
