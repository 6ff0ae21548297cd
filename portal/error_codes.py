"""Error codes the customer portal raises."""

from enum import StrEnum


class PortalError(StrEnum):
    LINK_INVALID = "link_invalid"
    LINK_EXPIRED = "link_expired"
    LINK_USED = "link_used"
    NOT_OPEN = "not_open"
    NO_PAYMENT_PAGE = "no_payment_page"
