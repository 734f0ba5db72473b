"""What the webhook's routes use of an instance's wiring (shared.wiring.Wiring is one), as Protocols, so the routes
can be driven by anything that has these parts; kept apart so that the routes and the platform pushes share them."""

from __future__ import annotations

from typing import Protocol

from shared.config import Settings
from shared.infra.jsonlog import JsonLogger
from shared.messaging.client import Sent


class Sender(Protocol):
    def send(self, queue: str, body: str, delay_seconds: int = 0) -> Sent: ...


class QueueDeps(Protocol):
    """Where to queue, and where to log: all a platform push needs."""

    @property
    def settings(self) -> Settings: ...

    @property
    def mns(self) -> Sender: ...

    @property
    def log(self) -> JsonLogger: ...
