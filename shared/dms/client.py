"""One call path to DMS for every operation: rate limit, call, classify, back off, retry, within the deadline.

The caller names an operation (shared.dms.operations) and its parameters; what comes back says whether the
effect holds (`done`, or `already` when DMS says it held before) or not (`failed`, with the verdict that says
why and whether a later attempt may help). Business errors, gateway errors, throttling with `x-acs-retry-after`
and dropped connections are all sorted by shared.dms.verdicts, in one place.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from shared.config import DmsClientConfig
from shared.dms.operations import Operation
from shared.dms.transport import OpenApiTransport
from shared.dms.verdicts import ExtraCodes, Verdict, classify_body, classify_exception
from shared.infra.credentials import CredentialsMissingError, RoleCredentials
from shared.infra.ratelimit import RateLimiter, RateLimitTimeoutError
from shared.infra.retry import Deadline

CallResultName = Literal["done", "already", "failed"]


class Transport(Protocol):
    def invoke(
        self, operation: Operation, parameters: Mapping[str, Any], read_timeout_ms: int, connect_timeout_ms: int
    ) -> Mapping[str, Any]: ...

    def forget(self) -> None: ...


@dataclass(frozen=True)
class CallResult:
    """What one operation came to, after every attempt it was given."""

    operation: Operation
    result: CallResultName
    verdict: Verdict
    attempts: int
    data: Mapping[str, Any] = field(default_factory=dict)
    """The answer's `Data` object, where the Dms API puts its result."""
    body: Mapping[str, Any] = field(default_factory=dict)
    """The whole answer (GetUser's `User` sits beside `Data`, not in it)."""

    @property
    def succeeded(self) -> bool:
        return self.result in ("done", "already")


class DmsClient:
    def __init__(
        self,
        config: DmsClientConfig,
        credentials: Callable[[], RoleCredentials],
        limiter: Callable[[], RateLimiter] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        transport: Transport | None = None,
    ) -> None:
        self.config = config
        self._new_limiter = limiter or (lambda: RateLimiter(config.qps))
        self._limiters: dict[Operation, RateLimiter] = {}
        self._limiters_lock = threading.Lock()
        self.transport: Transport = transport or OpenApiTransport(config, credentials)
        self.codes = ExtraCodes(config.already_codes, config.transient_codes, config.absent_codes)
        self._sleep = sleep
        self._rng = rng or random.Random()

    def limiter(self, operation: Operation) -> RateLimiter:
        """One limiter per operation: DMS counts its quota per API; a throttled RegisterUser must not slow GetUser."""
        with self._limiters_lock:
            found = self._limiters.get(operation)
            if found is None:
                found = self._limiters[operation] = self._new_limiter()
            return found

    def call(self, operation: Operation, parameters: Mapping[str, Any], deadline: Deadline) -> CallResult:
        """`parameters` as spelled on the wire (`Uid`, `RoleNames`); a None value is left out of the request."""
        present = {name: value for name, value in parameters.items() if value is not None}
        policy = self.config.retry
        limiter = self.limiter(operation)
        attempt = 0
        while True:
            attempt += 1
            try:
                limiter.acquire(deadline.at)
            except RateLimitTimeoutError as error:
                verdict = Verdict("transient", "DeadlineExceeded", str(error))
                return CallResult(operation, "failed", verdict, attempt - 1)
            read_ms = max(1, min(self.config.read_timeout_ms, int(deadline.remaining() * 1000)))
            data: Mapping[str, Any] = {}
            body: Mapping[str, Any] = {}
            try:
                body = self.transport.invoke(operation, present, read_ms, self.config.connect_timeout_ms)
                verdict = classify_body(body, self.codes)
                found = body.get("Data")
                data = dict(found) if isinstance(found, Mapping) else {}
            except CredentialsMissingError:
                raise  # a deployment without a role: no retry or verdict can help, and it must not pass unseen
            except Exception as error:  # every SDK failure is sorted by classify_exception
                verdict = classify_exception(error, self.codes)
            if verdict.throttled:
                limiter.throttled(verdict.retry_after)
            elif verdict.answered:
                limiter.succeeded()  # flow control let it through, whatever DMS made of it ("no such user" too)
            if verdict.kind in ("ok", "already"):
                return CallResult(
                    operation, "done" if verdict.kind == "ok" else "already", verdict, attempt, data, body
                )
            if verdict.kind == "permanent" or attempt >= policy.max_attempts:
                return CallResult(operation, "failed", verdict, attempt, data, body)
            delay = policy.delay(attempt, verdict.retry_after, self._rng)
            if not deadline.allows(delay + self.config.connect_timeout_ms / 1000):
                return CallResult(operation, "failed", verdict, attempt, data, body)
            if verdict.code.startswith("InvalidSecurityToken"):
                self.transport.forget()
            self._sleep(delay)
