"""Every error code integrations raises: stable snake_case, listed in the OpenAPI
schema for its endpoints' 400 answers. Add a code here before raising it."""

from core.errors import ErrorCode


class IntegrationError(ErrorCode):
    ALREADY_RESOLVED = "already_resolved"
    CONTRACT_MISSING = "contract_missing"
    CONTRACT_NOT_EDITABLE = "contract_not_editable"
    INVALID = "invalid"
    LINES_DO_NOT_ADD_UP = "lines_do_not_add_up"
    NOT_ISSUED = "not_issued"
    NOT_REPRESENTABLE_AT_STRIPE = "not_representable_at_stripe"
    NOT_REPRESENTABLE_IN_ISO = "not_representable_in_iso"
    NOT_RETRYABLE = "not_retryable"
    NOT_ROUNDED = "not_rounded"
    RECORD_MISSING = "record_missing"
    RESOLUTION_NOT_ALLOWED = "resolution_not_allowed"
    SALESFORCE_NOT_CONFIGURED = "salesforce_not_configured"
    STRIPE_TOTAL_MISMATCH = "stripe_total_mismatch"
    SYNC_ALREADY_RUNNING = "sync_already_running"
