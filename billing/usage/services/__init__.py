from .alerts import deliver_balance_alert, send_balance_alerts
from .ingestion import ingest_usage_csv, ingest_usage_events
from .installments import InstallmentPlan, installment_schedule
from .ledger import balances, close_ended_commitments, grant_commitment
from .rates import PriceTerms, set_usage_price

__all__ = [
    "InstallmentPlan",
    "PriceTerms",
    "balances",
    "close_ended_commitments",
    "deliver_balance_alert",
    "grant_commitment",
    "ingest_usage_csv",
    "ingest_usage_events",
    "installment_schedule",
    "send_balance_alerts",
    "set_usage_price",
]
