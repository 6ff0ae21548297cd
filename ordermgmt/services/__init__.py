from .billing_hold import set_billing_hold
from .change_orders import ChangeOrderInput, make_change_order
from .contract_updates import ContractUpdate, update_contracts
from .contracts import (
    ContractLineInput,
    ContractTerms,
    DraftContractInput,
    RampStepInput,
    activate_contract,
    cancel_contract,
    create_contract,
    create_draft_contracts,
    expire_contract,
    submit_contract,
    update_contract,
)
from .dealdesk import approve_contract, comment_on_review, reject_contract
from .tax_basis import set_tax_basis

__all__ = [
    "ChangeOrderInput",
    "ContractLineInput",
    "ContractTerms",
    "DraftContractInput",
    "RampStepInput",
    "activate_contract",
    "approve_contract",
    "cancel_contract",
    "comment_on_review",
    "create_contract",
    "create_draft_contracts",
    "expire_contract",
    "make_change_order",
    "reject_contract",
    "set_billing_hold",
    "submit_contract",
    "update_contract",
    "ContractUpdate",
    "update_contracts",
    "set_tax_basis",
]
