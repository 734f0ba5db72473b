"""What the rest of the local cloud knows of a local FC runtime: the calls the control plane and the crash fault make.

The cloud holds a runtime only through this Protocol (`LocalCloud.functions`), so neither the cloud nor the control
plane imports the runtime, its processes or its triggers.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol


class InvocationError(Exception):
    """The function raised (FC's UnhandledInvocationError) or its instance died."""


class FunctionRuntime(Protocol):
    @property
    def instances(self) -> Mapping[str, object]:
        """One entry per s.yaml resource (`webhook`, `worker`, ...)."""
        ...

    @property
    def http_urls(self) -> Mapping[str, str]:
        """The base URL of each resource's HTTP trigger (`webhook`: where HR platforms push)."""
        ...

    def invoke(self, resource: str, event: bytes) -> object:
        """The handler's return value, synchronously, as `s invoke` gives it; InvocationError on a function error."""
        ...

    def fire_timer(self, resource: str, payload: str = "") -> object:
        """Invoke with a timer-trigger event carrying `payload`, now; InvocationError on a function error."""
        ...

    def kill_instance(self, resource: str) -> bool:
        """SIGKILL the resource's running instance; False when none runs."""
        ...
