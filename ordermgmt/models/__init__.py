from .accounts import Account, Contact
from .catalog import Product, ProductPrice, RevenueType
from .contracts import (
    BillingFrequency,
    BillingTiming,
    Contract,
    ContractKind,
    ContractLine,
    ContractStatus,
    DayCountConvention,
    RampStep,
)
from .opportunities import Opportunity, OpportunityLine

__all__ = [
    "Account",
    "BillingFrequency",
    "BillingTiming",
    "Contact",
    "Contract",
    "ContractKind",
    "ContractLine",
    "ContractStatus",
    "DayCountConvention",
    "Opportunity",
    "OpportunityLine",
    "Product",
    "ProductPrice",
    "RampStep",
    "RevenueType",
]
