"""Booking sync from Salesforce, split by domain:

- fetch.py: the SOQL (built from the mapping table) and paging;
- mapping.py: the one mapping table (Salesforce field -> our field), custom field names;
- converters.py: the table's converters (a Salesforce value -> ours, or a MappingError);
- upsert.py: upsert by Salesforce id with the three-way rule that protects local edits;
- bookings.py: a page of opportunities with their accounts, contacts, products, lines;
- records.py: accounts, contacts and products changed on their own;
- drafts.py: draft contracts for new Closed Won deals, later changes to their terms;
- issues.py: a specialist resolves a sync issue;
- orgs.py: the org's shape (multi-currency, its currency) and the preflight;
- runs.py: a run from lock to watermark.
"""

from .drafts import SYNC_USERNAME, sync_user
from .issues import resolve_sync_issue
from .orgs import check_salesforce_org
from .runs import active_run, execute_sync, run_sync_now, scheduled_run, start_sync

__all__ = [
    "SYNC_USERNAME",
    "active_run",
    "check_salesforce_org",
    "execute_sync",
    "resolve_sync_issue",
    "run_sync_now",
    "scheduled_run",
    "start_sync",
    "sync_user",
]
