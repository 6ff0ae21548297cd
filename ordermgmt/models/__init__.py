from .accounts import Account, Contact
from .catalog import Product, ProductPrice, RevenueType
from .changes import ChangeKind, ContractChange, ProrationBehavior
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
    "ChangeKind",
    "Contact",
    "Contract",
    "ContractKind",
    "ContractLine",
    "ContractStatus",
    "ContractChange",
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
    "ProrationBehavior",
    "RampStep",
    "RevenueType",
    "ReviewStatus",
    "ReviewTrigger",
    "RuleType",
    "Severity",
]
