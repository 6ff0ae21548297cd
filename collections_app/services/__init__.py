"""Every write of collections: dunning runs and settings, and collection activities."""

from .activities import (
    add_collection_note,
    cancel_promise_to_pay,
    complete_call,
    edit_collection_note,
    open_dispute,
    record_promise_to_pay,
    resolve_dispute,
    update_dispute,
)
from .calls import log_call
from .dunning import (
    DunningRunResult,
    pause_dunning,
    resume_dunning,
    send_due_reminders,
    set_account_dunning,
)

__all__ = [
    "DunningRunResult",
    "add_collection_note",
    "cancel_promise_to_pay",
    "complete_call",
    "edit_collection_note",
    "log_call",
    "open_dispute",
    "pause_dunning",
    "record_promise_to_pay",
    "resolve_dispute",
    "resume_dunning",
    "send_due_reminders",
    "set_account_dunning",
    "update_dispute",
]
