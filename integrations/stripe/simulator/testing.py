"""Run the simulator in-process for tests and scripts.

with start_simulator() as sim:
    client = sim.client()            # a stripe.StripeClient pointed at sim.url
    client.v1.customers.create(params={"name": "Acme"})
    assert sim.count("customers") == 1
"""

from __future__ import annotations

from types import TracebackType
from typing import TYPE_CHECKING, Any

from .server import StripeSimulator
from .webhooks import WebhookPolicy

if TYPE_CHECKING:
    import stripe

TEST_API_KEY = "sk_test_ledgerline_simulator"


class RunningSimulator:
    """A started simulator; everything on `StripeSimulator` is reachable through it."""

    def __init__(self, simulator: StripeSimulator) -> None:
        self.simulator = simulator

    @property
    def url(self) -> str:
        return self.simulator.url

    def client(self, api_key: str = TEST_API_KEY, **options: Any) -> stripe.StripeClient:
        import stripe

        return stripe.StripeClient(api_key, base_addresses={"api": self.url}, **options)

    def stop(self) -> None:
        self.simulator.stop()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.simulator, name)

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def start_simulator(
    port: int = 0, host: str = "127.0.0.1", webhook_policy: WebhookPolicy | None = None
) -> RunningSimulator:
    """Start on `port` (0 picks a free one; read the real one from `.url`)."""
    return RunningSimulator(StripeSimulator(host, port, webhook_policy).start())
