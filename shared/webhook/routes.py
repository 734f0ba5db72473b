"""The webhook's routes: authenticate, validate, enqueue (or provision at once), answer in problem details.

HR systems give up after about 1.5 s, so `POST /events` only validates and enqueues; nothing on its path
imports a DMS SDK, and a well-formed event does not even import pydantic (shared.contract.precheck vouches for
it; the contract judges everything else). `POST /provision` is for an administrator who wants the outcome now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from shared.config import truthy
from shared.contract.precheck import EventKeys, certainly_valid
from shared.contract.strictjson import load_json
from shared.infra.retry import Deadline
from shared.messaging.client import MnsUnavailableError
from shared.messaging.formats import MAX_MESSAGE_BYTES, fits, wrap
from shared.triggers.http import HttpRequest, problem, response
from shared.webhook.auth import WebhookAuthError, verify
from shared.webhook.deps import QueueDeps

if TYPE_CHECKING:
    from shared.hr.source import HrSource
    from shared.lifecycle.outcome import Outcome, RawEvent

MAX_BODY_BYTES = 64 * 1024
ROUTES: dict[str, tuple[str, ...]] = {
    "/events": ("POST",),
    "/provision": ("POST",),
    "/healthz": ("GET", "HEAD"),
    "/hr/dingtalk": ("POST",),
    "/hr/feishu": ("POST",),
}
PLATFORM_VARIABLES = {
    "dingtalk": "DINGTALK_TOKEN, DINGTALK_AES_KEY and DINGTALK_APP_KEY",
    "feishu": "FEISHU_VERIFICATION_TOKEN (and FEISHU_ENCRYPT_KEY)",
}


class Provisions(Protocol):
    def provision(
        self, raw: RawEvent, deadline: Deadline, *, dry_run: bool = False, correlation_id: str | None = None
    ) -> Outcome: ...


class WebhookDeps(QueueDeps, Protocol):
    """What the routes use of the instance's wiring (shared.wiring.Wiring is one)."""

    @property
    def provisioner(self) -> Provisions: ...

    def hr_source(self, name: str) -> HrSource | None:
        """The platform's adapter, or None when the deployment does not configure that platform."""
        ...


class Webhook:
    def __init__(self, wiring: WebhookDeps, secret: str | None = None, clock: Callable[[], float] = time.time) -> None:
        self.wiring = wiring
        self.secret = wiring.settings.webhook_secret if secret is None else secret
        self.clock = clock

    def handle(self, request: HttpRequest, deadline: Deadline) -> dict[str, Any]:
        route = request.path.rstrip("/") or "/"
        allowed = ROUTES.get(route)
        if allowed is None:
            return problem(404, "Not Found", f"no route {request.path}", slug="not-found")
        if request.method not in allowed:
            return problem(
                405,
                "Method Not Allowed",
                f"{request.path} accepts {', '.join(allowed)}",
                slug="method-not-allowed",
                headers={"Allow": ", ".join(allowed)},
            )
        if route == "/healthz":
            return response(200, {"status": "ok"})
        if route.startswith("/hr/"):
            return self._platform(route.removeprefix("/hr/"), request)
        refused = self._refuse(request)
        if refused is not None:
            return refused
        correlation_id = request.header("x-correlation-id") or request.request_id or _new_id()
        document: object = None
        keys: EventKeys | None = None
        if route == "/events":
            try:
                document = load_json(request.body)
            except ValueError:
                document = None
            keys = certainly_valid(document)
        if keys is None:
            judged = _validate_with_contract(document if isinstance(document, dict) else request.body, correlation_id)
            if not isinstance(judged, EventKeys):
                return judged
            keys = judged
        correlation_id = keys.correlation_id or correlation_id
        if route == "/provision":
            return self._provision(request, deadline, correlation_id)
        return self._enqueue(document, keys.event_id, correlation_id)

    def _platform(self, name: str, request: HttpRequest) -> dict[str, Any]:
        """A platform's push, in the platform's scheme: its signature, not WEBHOOK_SECRET's, and its reply."""
        from shared.webhook.platforms import not_configured, receive_push

        if len(request.body) > MAX_BODY_BYTES:
            return problem(413, "Payload Too Large", f"the body is over {MAX_BODY_BYTES} bytes", slug="too-large")
        source = self.wiring.hr_source(name)
        if source is None:
            return not_configured(name, PLATFORM_VARIABLES[name])
        correlation_id = request.request_id or _new_id()
        return receive_push(source, request, self.wiring, correlation_id, int(self.clock() * 1000))

    def _refuse(self, request: HttpRequest) -> dict[str, Any] | None:
        if len(request.body) > MAX_BODY_BYTES:
            return problem(413, "Payload Too Large", f"the body is over {MAX_BODY_BYTES} bytes", slug="too-large")
        encoding = (request.header("content-encoding") or "identity").lower()
        if encoding != "identity":
            return problem(
                415, "Unsupported Media Type", "compressed bodies are not accepted", slug="unsupported-media-type"
            )
        content_type = (request.header("content-type") or "").split(";")[0].strip().lower()
        if content_type != "application/json":
            return problem(
                415, "Unsupported Media Type", "send Content-Type: application/json", slug="unsupported-media-type"
            )
        try:
            verify(
                self.secret, request.header("x-timestamp"), request.header("x-signature"), request.body, self.clock()
            )
        except WebhookAuthError as error:
            return problem(
                401, "Unauthorized", str(error), slug="unauthenticated", headers={"WWW-Authenticate": "HMAC-SHA256"}
            )
        return None

    def _enqueue(self, document: object, event_id: str, correlation_id: str) -> dict[str, Any]:
        body = wrap(document, correlation_id)
        if not fits(body):
            return problem(
                413,
                "Payload Too Large",
                f"in its queue envelope the event would exceed an MNS message ({MAX_MESSAGE_BYTES} bytes)",
                slug="too-large",
                correlation_id=correlation_id,
            )
        try:
            sent = self.wiring.mns.send(self.wiring.settings.input_queue, body)
        except MnsUnavailableError as error:
            throttled = "QpsLimitExceeded" in str(error) or "Throttl" in str(error)
            status = 429 if throttled else 503
            self.wiring.log.error("enqueue failed", correlation_id=correlation_id, event_id=event_id, error=str(error))
            return problem(
                status,
                "Too Many Requests" if throttled else "Service Unavailable",
                "the event was not queued; send it again later",
                slug="not-queued",
                headers={"Retry-After": "5"},
                correlation_id=correlation_id,
            )
        self.wiring.log.info("accepted", correlation_id=correlation_id, event_id=event_id, message_id=sent.message_id)
        return response(202, {"status": "accepted", "event_id": event_id, "correlation_id": correlation_id})

    def _provision(self, request: HttpRequest, deadline: Deadline, correlation_id: str) -> dict[str, Any]:
        from shared.lifecycle.convergence import PersonBusyError

        dry_run = truthy(request.query.get("dry_run"))
        try:
            outcome = self.wiring.provisioner.provision(
                request.body, deadline, dry_run=dry_run or self.wiring.settings.dry_run, correlation_id=correlation_id
            )
        except PersonBusyError as busy:
            return problem(
                409,
                "Conflict",
                "another event for this person is being converged; nothing was done, send it again",
                slug="person-busy",
                headers={"Retry-After": str(max(1, round(busy.retry_after)))},
                correlation_id=correlation_id,
            )
        except MnsUnavailableError:
            return problem(
                503,
                "Service Unavailable",
                "provisioned, but the outcome could not be published; retry is safe",
                slug="outcome-unpublished",
                correlation_id=correlation_id,
            )
        return response(200, outcome.to_cloudevent())


def _new_id() -> str:
    import uuid  # rarely needed (FC gives every request an id), and slow to import on a cold start

    return str(uuid.uuid4())


def _validate_with_contract(raw: bytes | dict[str, object], correlation_id: str) -> EventKeys | dict[str, Any]:
    """The contract's verdict: the event's keys, or the 400 answer listing every problem."""
    from shared.contract.event import ContractError, parse_event

    try:
        event = parse_event(raw)
    except ContractError as error:
        return problem(
            400,
            "Invalid HR event",
            "the event breaks the contract; every problem is listed",
            slug="invalid-event",
            errors=[p.to_dict() for p in error.problems],
            correlation_id=correlation_id,
        )
    return EventKeys(event.event_id, event.correlation_id)
