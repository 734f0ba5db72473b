"""The path every emulated API call takes: route, authenticate, record, inject faults, serve.

Services only know their own semantics and wire format; this module owns the order of checks so that every
service behaves alike under faults and in the call log.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from localcloud.calllog import CallLog, CallRecord
from localcloud.faults import FaultInjector
from localcloud.wire import Operation, Request, Response, Service, ServiceError


@dataclass
class Reply:
    """What the socket layer must do: send `response`, or close the connection without answering."""

    response: Response | None
    drop: bool = False


class Gateway:
    def __init__(
        self,
        service: Service,
        faults: FaultInjector,
        calls: CallLog,
        stopping: threading.Event,
        verbose: bool = False,
        crash: Callable[[str], bool] | None = None,
    ) -> None:
        self.service = service
        self.faults = faults
        self.calls = calls
        self.stopping = stopping
        self.verbose = verbose
        self.crash = crash
        """Kills the named function's instance; False when no local FC runtime runs that function."""

    def process(self, request: Request) -> Reply:
        record = CallRecord(seq=0, time=time.time(), service=self.service.name, action="", status=0)
        try:
            reply = self._process(request, record)
        finally:
            if record.action:
                self.calls.append(record)
                if self.verbose:
                    print(
                        f"[{self.service.name}] {record.action} -> {record.status or 'dropped'} "
                        f"{record.code} {record.fault}".rstrip(),
                        file=sys.stderr,
                        flush=True,
                    )
        return reply

    def _process(self, request: Request, record: CallRecord) -> Reply:
        operation: Operation | None = None
        try:
            operation = self.service.resolve(request)
            record.action = operation.action
            record.params = dict(operation.params)
            record.headers = dict(operation.headers)
            record.access_key_id = self.service.authenticate(request, operation)
            decision = self.faults.decide(self.service.name, operation.action)
            if decision.latency_ms:
                record.fault = f"latency:{decision.latency_ms}ms"
                self.stopping.wait(decision.latency_ms / 1000)
            rule = decision.terminal
            if rule is not None:
                record.fault = rule.kind if not record.fault else f"{record.fault},{rule.kind}"
                if rule.kind == "drop":
                    return Reply(None, drop=True)
                if rule.kind == "hang":
                    self.stopping.wait(rule.hang_seconds)
                    return Reply(None, drop=True)
                if rule.kind == "error":
                    raise ServiceError(
                        rule.status,
                        rule.code,
                        rule.message or f"Injected fault: {rule.code}.",
                        retry_after=rule.retry_after,
                    )
            response = operation.handler(request)
            if rule is not None and rule.kind in ("drop_after", "crash"):
                record.status = response.status
                if rule.kind == "crash" and not (self.crash is not None and self.crash(rule.function)):
                    record.fault = f"crash:no running function {rule.function}"
                return Reply(None, drop=True)
        except ServiceError as error:
            if not record.action:
                record.action = "Unknown"
            response = self.service.render_error(request, error)
            record.code = error.code
        except Exception:  # an emulator bug must still answer in the service's format
            traceback.print_exc(file=sys.stderr)
            record.action = record.action or "Unknown"
            record.code = "InternalError"
            response = self.service.render_error(
                request,
                ServiceError(500, "InternalError", "The request processing has failed due to some unknown error."),
            )
        record.status = response.status
        record.request_id = self.service.request_id(response)
        return Reply(response)
