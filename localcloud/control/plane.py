"""Control plane: JSON over HTTP on every service port, the way LocalStack serves `/_localstack/`.

No authentication: the local cloud listens on loopback only and holds nothing but test data. Secrets never
leave it through here; credentials are shown without their secret or token.

`ControlPlane` owns only what concerns the whole cloud (`GET /health`, `GET /state`, `POST /reset`,
`POST /seed`); every other route comes from the `ControlApi` of the part it steers (see `router.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from localcloud.control.router import ControlApi, ControlRequest, Router, StateSection, route
from localcloud.wire import Request, Response


class ControlPlane:
    def __init__(
        self,
        apis: Sequence[ControlApi],
        *,
        environment: Callable[[], Mapping[str, str]],
        reset: Callable[[], None],
        seed: Callable[[dict[str, object]], dict[str, object]],
    ) -> None:
        """`apis` in the order their state sections appear in `GET /state`; `environment` is what a client
        needs (the health answer), `reset` and `seed` act on the whole cloud."""
        self._environment = environment
        self._reset = reset
        self._seed = seed
        self._state: dict[str, StateSection] = {}
        for api in apis:
            for name, section in api.state.items():
                if name in self._state:
                    raise ValueError(f"state section {name!r} is contributed twice")
                self._state[name] = section
        self.router = Router(
            [
                route("GET", "/health", self._health),
                route("GET", "/state", self._state_all),
                route("POST", "/reset", self._reset_all),
                route("POST", "/seed", self._seed_all),
            ]
        )
        for api in apis:
            self.router.add(api.routes)

    def handle(self, request: Request) -> Response:
        return self.router.handle(request)

    def _health(self, call: ControlRequest) -> object:
        return {"status": "ok", "endpoints": dict(self._environment())}

    def _state_all(self, call: ControlRequest) -> object:
        return {name: section() for name, section in self._state.items()}

    def _reset_all(self, call: ControlRequest) -> object:
        self._reset()
        return {"reset": True}

    def _seed_all(self, call: ControlRequest) -> object:
        return self._seed(call.body())
