"""Every error code ordermgmt raises: stable snake_case, listed in the OpenAPI
schema for its endpoints' 400 answers. Add a code here before raising it."""

from core.errors import ErrorCode


class OrderError(ErrorCode):
    ABOVE_LIST_PRICE = "above_list_price"
    ALREADY_APPROVED = "already_approved"
    CURRENCY_MISMATCH = "currency_mismatch"
    DISCOUNT_OUT_OF_RANGE = "discount_out_of_range"
    DUPLICATE = "duplicate"
    END_BEFORE_START = "end_before_start"
    ILLEGAL_TRANSITION = "illegal_transition"
    NEGATIVE = "negative"
    NEGATIVE_QUANTITY = "negative_quantity"
    NEGATIVE_UNIT_PRICE = "negative_unit_price"
    NO_LINES = "no_lines"
    NOT_EDITABLE = "not_editable"
    NOT_ENDED = "not_ended"
    OUT_OF_RANGE = "out_of_range"
    OUTSIDE_CONTRACT_TERM = "outside_contract_term"
    OVERLAPPING_STEPS = "overlapping_steps"
    OWN_SUBMISSION = "own_submission"
    PLAN_WITHOUT_CUSTOM_FREQUENCY = "plan_without_custom_frequency"
    REQUIRED = "required"
    REVIEW_CLOSED = "review_closed"
    TOO_MANY_TOKENS = "too_many_tokens"
    UNKNOWN_CURRENCY = "unknown_currency"
    UNKNOWN_TOKEN = "unknown_token"
    # Change orders (ordermgmt.services.change_orders)
    BACKDATED_CHANGE = "backdated_change"
    CONTRACT_NOT_ACTIVE = "contract_not_active"
    LINE_NOT_ON_CONTRACT = "line_not_on_contract"
    LINE_NOT_SERVING = "line_not_serving"
    NOT_A_SUBSCRIPTION = "not_a_subscription"
    NOTHING_CHANGES = "nothing_changes"
    RAMPED_LINE = "ramped_line"
    NO_PRICE_IN_CURRENCY = "no_price_in_currency"
