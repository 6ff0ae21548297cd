"""Usage-based billing: rate cards (per-unit, graduated, volume, package prices that change
at dates), usage events ingested in bulk and rolled up per day, and commitments and credits
kept as a ledger (grants, drawdowns, expiries, true-ups, rollovers)."""
