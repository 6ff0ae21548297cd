"""Every error code collections_app raises: stable snake_case, listed in the OpenAPI
schema for its endpoints' 400 answers. Add a code here before raising it."""

from core.errors import ErrorCode


class CollectionsError(ErrorCode):
    ALREADY_PAUSED = "already_paused"
    BEFORE_START = "before_start"
    DISPUTE_OPEN = "dispute_open"
    EDGE_COUNT = "edge_count"
    EDGE_RANGE = "edge_range"
    FORBIDDEN_TAG = "forbidden_tag"
    IN_THE_FUTURE = "in_the_future"
    IN_THE_PAST = "in_the_past"
    INACTIVE_POLICY = "inactive_policy"
    NOT_A_COLLECTOR = "not_a_collector"
    NOT_INCREASING = "not_increasing"
    NOT_ISSUED = "not_issued"
    NOT_OPEN = "not_open"
    NOT_PAUSED = "not_paused"
    NOT_POSITIVE = "not_positive"
    NOT_ROUNDED = "not_rounded"
    NOT_WHOLE_DAYS = "not_whole_days"
    OTHER_ACCOUNT = "other_account"
    PERIOD_TOO_LONG = "period_too_long"
    PROMISE_PENDING = "promise_pending"
    REQUIRED = "required"
    TEMPLATE_RENDER = "template_render"
    TEMPLATE_SYNTAX = "template_syntax"
    TOO_FAR = "too_far"
    TOO_LONG = "too_long"
    UNKNOWN_ACCOUNT = "unknown_account"
    UNKNOWN_BASIS = "unknown_basis"
    UNKNOWN_CHOICE = "unknown_choice"
    UNKNOWN_FILTER = "unknown_filter"
    UNKNOWN_FORMAT = "unknown_format"
    UNKNOWN_PLACEHOLDER = "unknown_placeholder"
    UNKNOWN_REASON = "unknown_reason"
    UNKNOWN_REPORT = "unknown_report"
    UNKNOWN_RESOLUTION = "unknown_resolution"
    WRONG_KIND = "wrong_kind"
    # Calls (collections_app.services.calls).
    UNKNOWN_OUTCOME = "unknown_outcome"
    OTHER_ACCOUNT_CONTACT = "other_account_contact"
    # Statements by e-mail (collections_app.statements.services).
    NO_BILLING_CONTACT = "no_billing_contact"
    # Dunning policies over the API (collections_app.services.policies).
    DUPLICATE_OFFSET = "duplicate_offset"
    STEP_IN_USE = "step_in_use"
    # Paged worklist and report APIs (collections_app.api_reports.common).
    NOT_A_PAGE = "not_a_page"
