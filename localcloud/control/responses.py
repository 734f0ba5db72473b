"""Control plane: JSON over HTTP on every service port, the way LocalStack serves `/_localstack/`.

No authentication: the local cloud listens on loopback only and holds nothing but test data. Secrets never
leave it through here; credentials are shown without their secret or token.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from localcloud.control.urls import PREFIX, ROUTES
from localcloud.credentials import Credential
from localcloud.faults import FaultRule, FaultRuleError
from localcloud.mns.models import Subscription
from localcloud.wire import Request, Response, ServiceError

if TYPE_CHECKING:
    from localcloud.app import LocalCloud


class ControlError(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


def _json(status: int, data: object) -> Response:
    body = json.dumps(data, indent=2, sort_keys=False, default=str).encode("utf-8")
    return Response(status, body, {"Content-Type": "application/json"})


def _str(data: dict[str, object], name: str, required: bool = True, default: str = "") -> str:
    value = data.get(name)
    if value is None:
        if required:
            raise ControlError(400, f"{name}: required")
        return default
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ControlError(400, f"{name}: must be a string")
    return str(value)


class ControlPlane:
    def __init__(self, cloud: LocalCloud) -> None:
        self.cloud = cloud

    def handle(self, request: Request) -> Response:
        path = request.path[len(PREFIX) :] or "/"
        try:
            for method, pattern, name in ROUTES:
                match = pattern.match(path)
                if match is None:
                    continue
                if method != request.method:
                    continue
                handler: Callable[..., object] = getattr(self, "_" + name)
                result = handler(request, **match.groupdict())
                return result if isinstance(result, Response) else _json(200, result)
            raise ControlError(404, f"no control-plane route for {request.method} {request.path}")
        except ControlError as error:
            return _json(error.status, {"error": error.detail})
        except (FaultRuleError, ValueError) as error:
            return _json(400, {"error": str(error)})
        except ServiceError as error:
            return _json(400, {"error": f"{error.code}: {error.message}"})

    @staticmethod
    def _body(request: Request) -> dict[str, object]:
        if not request.body:
            return {}
        try:
            data = json.loads(request.body)
        except json.JSONDecodeError as error:
            raise ControlError(400, f"body: not JSON ({error.msg})") from None
        if not isinstance(data, dict):
            raise ControlError(400, "body: must be a JSON object")
        return data

    def _health(self, request: Request) -> object:
        return {"status": "ok", "endpoints": self.cloud.client_env()}

    def _state(self, request: Request) -> object:
        return {
            "mns": self.cloud.mns.snapshot(),
            "dms": self.cloud.dms.snapshot(),
            "credentials": [c.public() for c in self.cloud.credentials.all()],
            "faults": [r.to_dict() for r in self.cloud.faults.rules()],
            "clock": {"offset_seconds": self.cloud.clock.offset, "now_ms": self.cloud.clock.now_ms()},
        }

    def _service_state(self, request: Request, service: str) -> object:
        return self.cloud.mns.snapshot() if service == "mns" else self.cloud.dms.snapshot()

    def _reset(self, request: Request) -> object:
        self.cloud.reset()
        return {"reset": True}

    def _seed(self, request: Request) -> object:
        return self.apply_seed(self._body(request))

    def apply_seed(self, seed: dict[str, object]) -> dict[str, object]:
        """Tenants, workspaces, credentials, queues and topics in one document (also `--seed FILE`)."""
        known = {"tenants", "workspaces", "credentials", "queues", "topics"}
        unknown = sorted(set(seed) - known)
        if unknown:
            raise ControlError(400, f"unknown seed section(s): {', '.join(unknown)}")
        counts: dict[str, object] = {}
        for section in sorted(known):
            items = seed.get(section, [])
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ControlError(400, f"{section}: must be a list of objects")
            for item in items:
                getattr(self, f"_seed_{section}")(item)
            counts[section] = len(items)
        return {"seeded": counts}

    def _seed_tenants(self, item: dict[str, object]) -> None:
        self.cloud.dms.add_tenant(int(_str(item, "tid")), _str(item, "name", required=False))

    def _seed_workspaces(self, item: dict[str, object]) -> None:
        tid = item.get("tid")
        self.cloud.dms.add_workspace(
            _str(item, "workspace_id"),
            name=_str(item, "name", required=False),
            tid=int(str(tid)) if tid is not None else None,
            dms_unit=_str(item, "dms_unit", required=False) or None,
        )

    def _seed_credentials(self, item: dict[str, object]) -> None:
        allow = item.get("allow", ["*"])
        if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
            raise ControlError(400, "allow: must be a list of strings")
        self.cloud.credentials.put(
            Credential(
                access_key_id=_str(item, "access_key_id"),
                access_key_secret=_str(item, "access_key_secret"),
                security_token=_str(item, "security_token", required=False),
                expired=bool(item.get("expired", False)),
                allow=list(allow),
                account_id=_str(item, "account_id", required=False, default=self.cloud.config.account_id),
            )
        )

    def _seed_queues(self, item: dict[str, object]) -> None:
        attributes = item.get("attributes", {})
        if not isinstance(attributes, dict):
            raise ControlError(400, "queues[].attributes: must be an object")
        self.cloud.mns.create_queue(_str(item, "name"), {str(k): str(v) for k, v in attributes.items()})

    def _seed_topics(self, item: dict[str, object]) -> None:
        name = _str(item, "name")
        self.cloud.mns.create_topic(name, None, None)
        subscriptions = item.get("subscriptions", [])
        if not isinstance(subscriptions, list):
            raise ControlError(400, "topics[].subscriptions: must be a list")
        for sub in subscriptions:
            if not isinstance(sub, dict):
                raise ControlError(400, "topics[].subscriptions[]: must be an object")
            endpoint = _str(sub, "endpoint", required=False)
            queue = _str(sub, "queue", required=False)
            if queue:
                endpoint = f"acs:mns:{self.cloud.config.region}:{self.cloud.config.account_id}:queues/{queue}"
            self.cloud.mns.subscribe(
                name,
                Subscription(
                    name=_str(sub, "name"),
                    endpoint=endpoint,
                    filter_tag=_str(sub, "filter_tag", required=False),
                    notify_content_format=_str(sub, "notify_content_format", required=False, default="XML"),
                ),
            )

    def _add_tenant(self, request: Request) -> object:
        self._seed_tenants(self._body(request))
        return self.cloud.dms.snapshot()["tenants"]

    def _add_workspace(self, request: Request) -> object:
        self._seed_workspaces(self._body(request))
        return self.cloud.dms.snapshot()["workspaces"]

    def _list_credentials(self, request: Request) -> object:
        return [c.public() for c in self.cloud.credentials.all()]

    def _put_credential(self, request: Request) -> object:
        body = self._body(request)
        self._seed_credentials(body)
        credential = self.cloud.credentials.get(_str(body, "access_key_id"))
        return credential.public() if credential else {}

    def _expire_credential(self, request: Request, access_key_id: str) -> object:
        credential = self.cloud.credentials.get(access_key_id)
        if credential is None:
            raise ControlError(404, f"access_key_id: {access_key_id} is not known")
        credential.expired = True
        return credential.public()

    def _delete_credential(self, request: Request, access_key_id: str) -> object:
        if not self.cloud.credentials.remove(access_key_id):
            raise ControlError(404, f"access_key_id: {access_key_id} is not known")
        return {"deleted": access_key_id}

    def _list_faults(self, request: Request) -> object:
        return [r.to_dict() for r in self.cloud.faults.rules()]

    def _add_fault(self, request: Request) -> object:
        rule = self.cloud.faults.add(FaultRule.from_dict(self._body(request)))
        return rule.to_dict()

    def _clear_faults(self, request: Request) -> object:
        self.cloud.faults.clear()
        return {"cleared": True}

    def _delete_fault(self, request: Request, rule_id: str) -> object:
        if not self.cloud.faults.remove(int(rule_id)):
            raise ControlError(404, f"fault {rule_id} does not exist")
        return {"deleted": int(rule_id)}

    def _calls(self, request: Request) -> object:
        query = dict(parse_qsl(request.raw_query))
        since = query.get("since", "0")
        if not since.isdigit():
            raise ControlError(400, "since: must be a non-negative integer")
        return self.cloud.calls.query(query.get("service"), query.get("action"), int(since))

    def _runtime(self, resource: str) -> Any:
        runtime = self.cloud.functions
        if runtime is None:
            raise ControlError(409, "no local FC runtime runs on this cloud (start it with `localcloud dev`)")
        if resource not in runtime.instances:
            raise ControlError(404, f"no function {resource} in s.yaml")
        return runtime

    def _invoke_function(self, request: Request, resource: str) -> object:
        """Invoke synchronously, as `s invoke` would; the body is the event."""
        from localcloud.fc.runtime import InvocationError

        try:
            return {"result": self._runtime(resource).invoke(resource, request.body)}
        except InvocationError as error:
            raise ControlError(502, f"function error: {error}") from None

    def _fire_timer(self, request: Request, resource: str) -> object:
        from localcloud.fc.runtime import InvocationError

        payload = request.body.decode("utf-8") if request.body else ""
        try:
            return {"result": self._runtime(resource).fire_timer(resource, payload)}
        except InvocationError as error:
            raise ControlError(502, f"function error: {error}") from None

    def _advance_clock(self, request: Request) -> object:
        body = self._body(request)
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError(400, "seconds: must be a non-negative number")
        self.cloud.clock.advance(float(seconds))
        return {"offset_seconds": self.cloud.clock.offset}
