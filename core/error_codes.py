"""Every error code core raises: stable snake_case, listed in the OpenAPI
schema for its endpoints' 400 answers. Add a code here before raising it."""

from core.errors import ErrorCode


class CoreError(ErrorCode):
    AMOUNT_TOO_LARGE = "amount_too_large"
    BEFORE_FLOOR = "before_floor"
    BEFORE_LAST_ISSUED = "before_last_issued"
    CURRENCY_MISMATCH = "currency_mismatch"
    DUPLICATE_NAME = "duplicate_name"
    EMPTY = "empty"
    IN_THE_FUTURE = "in_the_future"
    INVALID_BIC = "invalid_bic"
    INVALID_COMPANY_ID = "invalid_company_id"
    INVALID_CURSOR = "invalid_cursor"
    INVALID_IBAN = "invalid_iban"
    INVALID_PAYMENT_TERMS = "invalid_payment_terms"
    INVALID_PEPPOL_ID = "invalid_peppol_id"
    INVALID_VAT_ID = "invalid_vat_id"
    MAX_LENGTH = "max_length"
    NEGATIVE_WEIGHT = "negative_weight"
    NOT_ROUNDED = "not_rounded"
    OUT_OF_RANGE = "out_of_range"
    OUT_OF_WINDOW = "out_of_window"
    PAYMENT_TERMS_TOO_LONG = "payment_terms_too_long"
    TERM_TOO_LONG = "term_too_long"
    TOO_FAR_AHEAD = "too_far_ahead"
    UNKNOWN_COUNTRY = "unknown_country"
    UNKNOWN_CURRENCY = "unknown_currency"
    ZERO_WEIGHTS = "zero_weights"
