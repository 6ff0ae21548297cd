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
from .dealdesk import (
    DealDeskDecision,
    DealDeskFlag,
    DealDeskReview,
    DealDeskRule,
    DecisionKind,
    ReviewStatus,
    ReviewTrigger,
    RuleType,
    Severity,
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
    "DealDeskDecision",
    "DealDeskFlag",
    "DealDeskReview",
    "DealDeskRule",
    "DecisionKind",
    "Opportunity",
    "OpportunityLine",
    "Product",
    "ProductPrice",
    "RampStep",
    "RevenueType",
    "ReviewStatus",
    "ReviewTrigger",
    "RuleType",
    "Severity",
]
