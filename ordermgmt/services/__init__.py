from .contracts import (
    ContractLineInput,
    ContractTerms,
    RampStepInput,
    activate_contract,
    approve_contract,
    cancel_contract,
    create_contract,
    expire_contract,
    reject_contract,
    submit_contract,
    update_contract,
)

__all__ = [
    "ContractLineInput",
    "ContractTerms",
    "RampStepInput",
    "activate_contract",
    "approve_contract",
    "cancel_contract",
    "create_contract",
    "expire_contract",
    "reject_contract",
    "submit_contract",
    "update_contract",
]
