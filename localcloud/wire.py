"""Transport-neutral request and response shapes shared by every emulated service.

Services never touch sockets: the HTTP front end turns bytes into a `Request`, a service turns it into a
`Response`, and faults are decided between the two. That split is what lets one fault engine and one call
log serve MNS, DMS and whatever comes next.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol
from urllib.parse import parse_qsl


@dataclass(frozen=True)
class Request:
    method: str
    target: str
    """Path and query exactly as on the request line; MNS signs this raw string."""
    headers: Mapping[str, str]
    """Lower-cased header names."""
    body: bytes
    client_address: str = "127.0.0.1"

    @property
    def path(self) -> str:
        return self.target.split("?", 1)[0]

    @property
    def raw_query(self) -> str:
        return self.target.split("?", 1)[1] if "?" in self.target else ""

    def header(self, name: str, default: str = "") -> str:
        return self.headers.get(name.lower(), default)

    def form_query(self) -> dict[str, str]:
        """Query decoded the way a browser form is (`+` is a space), as the tea SDK's `urlencode` needs."""
        return dict(parse_qsl(self.raw_query, keep_blank_values=True))


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


class ServiceError(Exception):
    """An error the service answers in its own wire format (MNS `<Error>` XML, POP JSON)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        retry_after: int | None = None,
        extra: Mapping[str, object] | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after
        self.extra: dict[str, object] = dict(extra or {})


Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Operation:
    """A routed request: the API action name (for faults, RAM and the call log) and what serves it."""

    action: str
    handler: Handler
    params: Mapping[str, str] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    """The signed headers as received, for the call log (a token's value masked); empty where nothing says which."""


class Service(Protocol):
    """One emulated endpoint. Raising `ServiceError` from any method yields that service's error format."""

    name: str

    def resolve(self, request: Request) -> Operation: ...

    def authenticate(self, request: Request, operation: Operation) -> str:
        """Verify the request signature and RAM permission; return the caller's AccessKey id."""
        ...

    def render_error(self, request: Request, error: ServiceError) -> Response: ...

    def request_id(self, response: Response) -> str: ...
