"""Ledgerline's Stripe simulator: Stripe's v1 wire format over real HTTP, for tests and
the demo, so the official `stripe` library talks to it unchanged.

Standard library only and independent of Django. Start it with `start_simulator()`
(testing.py), `StripeSimulator(...).serve_forever()`, or
`python manage.py run_stripe_simulator --port 12111`.
"""

from .context import API_VERSION
from .errors import StripeApiError
from .faults import Fault
from .server import StripeSimulator
from .testing import TEST_API_KEY, RunningSimulator, start_simulator
from .webhooks import WebhookPolicy, sign

__all__ = [
    "API_VERSION",
    "TEST_API_KEY",
    "Fault",
    "RunningSimulator",
    "StripeApiError",
    "StripeSimulator",
    "WebhookPolicy",
    "sign",
    "start_simulator",
]
