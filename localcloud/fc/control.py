"""The local FC runtime's part of the control plane: invoke a function, fire a timer (with `localcloud dev`)."""

from __future__ import annotations

from collections.abc import Callable

from localcloud.control.router import ControlApi, ControlError, ControlRequest, route
from localcloud.fc.api import FunctionRuntime, InvocationError

_RESOURCE = r"(?P<resource>[A-Za-z0-9_-]+)"


class FcControl:
    def __init__(self, functions: Callable[[], FunctionRuntime | None]) -> None:
        """`functions` gives the runtime running on the cloud now, if any (`localcloud dev` sets one)."""
        self.functions = functions

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("POST", f"/fc/functions/{_RESOURCE}/invoke", self.invoke),
                route("POST", f"/fc/timers/{_RESOURCE}/fire", self.fire_timer),
            ]
        )

    def _runtime(self, resource: str) -> FunctionRuntime:
        runtime = self.functions()
        if runtime is None:
            raise ControlError(409, "no local FC runtime runs on this cloud (start it with `localcloud dev`)")
        if resource not in runtime.instances:
            raise ControlError(404, f"no function {resource} in s.yaml")
        return runtime

    def invoke(self, call: ControlRequest) -> object:
        """Invoke synchronously, as `s invoke` would; the body is the event."""
        resource = call.params["resource"]
        try:
            return {"result": self._runtime(resource).invoke(resource, call.request.body)}
        except InvocationError as error:
            raise ControlError(502, f"function error: {error}") from None

    def fire_timer(self, call: ControlRequest) -> object:
        """Invoke with a timer event now; the body, if any, is its payload."""
        resource = call.params["resource"]
        try:
            return {"result": self._runtime(resource).fire_timer(resource, call.text())}
        except InvocationError as error:
            raise ControlError(502, f"function error: {error}") from None
