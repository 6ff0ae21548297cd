"""Salesforce REST simulator: a local org that simple_salesforce talks to unchanged.

Pure standard library + cryptography (for its TLS certificate); importable without
Django. See testing.py for connecting a client and control.py for the /_sim/ API.
"""

from .schema import SCHEMA
from .seed import SeedSummary, seed_store
from .server import DEFAULT_VERSION, SalesforceSimulator
from .soap import Credentials
from .store import Clock, Store
from .values import StoreError

__all__ = [
    "DEFAULT_VERSION",
    "SCHEMA",
    "Clock",
    "Credentials",
    "SalesforceSimulator",
    "SeedSummary",
    "Store",
    "StoreError",
    "seed_store",
]
