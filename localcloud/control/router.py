"""The control plane's building blocks: routes as data, and what one part of the local cloud contributes.

LocalStack-style, each emulated service owns its control routes: `localcloud/mns/control.py`,
`localcloud/dms/control.py` and `localcloud/fc/control.py` each return a `ControlApi` (its routes, its sections of
`GET /state`, the sections of a seed it accepts), `localcloud/control/general.py` does the same for credentials,
faults, the call log and the clock, and `ControlPlane` (`plane.py`) only assembles them. A new service adds its
own module and one line where the cloud is built; nothing central grows.

A handler takes a `ControlRequest` and returns JSON data (or a whole `Response`); a `ControlError` becomes
`{"error": detail}` with its status, and a `ValueError` or a `ServiceError` a 400.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from localcloud.wire import Request, Response, ServiceError

PREFIX = "/_localcloud"


class ControlError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def json_response(status: int, data: object) -> Response:
    body = json.dumps(data, indent=2, sort_keys=False, default=str).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json"})


def text_field(data: Mapping[str, object], name: str, required: bool = True, default: str = "") -> str:
    """A string (or integer) field of a JSON object, as a string; a 400 naming the field otherwise."""
    value = data.get(name)
    if value is None:
        if required:
            raise ControlError(400, f"{name}: required")
        return default
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ControlError(400, f"{name}: must be a string")
    return str(value)


@dataclass(frozen=True)
class ControlRequest:
    """One control-plane request, with the named groups its route's pattern matched."""

    request: Request
    params: Mapping[str, str] = field(default_factory=dict)

    def body(self) -> dict[str, object]:
        """The JSON object in the body ({} when there is none)."""
        if not self.request.body:
            return {}
        try:
            data = json.loads(self.request.body)
        except json.JSONDecodeError as error:
            raise ControlError(400, f"body: not JSON ({error.msg})") from None
        if not isinstance(data, dict):
            raise ControlError(400, "body: must be a JSON object")
        return data

    def text(self) -> str:
        return self.request.body.decode("utf-8") if self.request.body else ""

    def query(self) -> dict[str, str]:
        return dict(parse_qsl(self.request.raw_query))


Handler = Callable[[ControlRequest], object]
StateSection = Callable[[], object]
SeedSection = Callable[[Mapping[str, object]], None]
"""Applies one item of a seed section (one queue, one tenant, ...); raises ControlError naming the bad field."""


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, path: str, handler: Handler) -> Route:
    """`path` is a regular expression for what follows `/_localcloud`; its named groups reach the handler as
    `params`, and a trailing slash is allowed."""
    return Route(method, re.compile(f"^{path}/?$"), handler)


@dataclass(frozen=True)
class ControlApi:
    """What one part of the local cloud adds to the control plane."""

    routes: Sequence[Route] = ()
    state: Mapping[str, StateSection] = field(default_factory=dict)
    """Sections of `GET /state`, in order; a service routes its own `GET /state/<name>` if it offers one."""
    seed: Mapping[str, SeedSection] = field(default_factory=dict)
    """Sections of a seed document (`POST /seed`, `--seed-file`) and what applies one item of each."""


class Router:
    def __init__(self, routes: Iterable[Route] = ()) -> None:
        self._routes: list[Route] = list(routes)

    def add(self, routes: Iterable[Route]) -> None:
        self._routes.extend(routes)

    def handle(self, request: Request) -> Response:
        path = request.path[len(PREFIX) :] or "/"
        try:
            for candidate in self._routes:
                match = candidate.pattern.match(path)
                if match is None or candidate.method != request.method:
                    continue
                result = candidate.handler(ControlRequest(request, match.groupdict()))
                return result if isinstance(result, Response) else json_response(200, result)
            raise ControlError(404, f"no control-plane route for {request.method} {request.path}")
        except ControlError as error:
            return json_response(error.status, {"error": error.detail})
        except ValueError as error:  # FaultRuleError among them
            return json_response(400, {"error": str(error)})
        except ServiceError as error:
            return json_response(400, {"error": f"{error.code}: {error.message}"})
