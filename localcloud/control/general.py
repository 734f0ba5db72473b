"""The control routes of what every service shares: credentials, fault rules, the call log and the clock."""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.calllog import CallLog
from localcloud.clock import Clock
from localcloud.control.router import ControlApi, ControlError, ControlRequest, route, text_field
from localcloud.credentials import Credential, CredentialStore
from localcloud.faults import FaultInjector, FaultRule


class CredentialsControl:
    """`/credentials`: key pairs with their RAM-style `allow` patterns, shown without secret or token."""

    def __init__(self, store: CredentialStore, account_id: str) -> None:
        self.store = store
        self.account_id = account_id
        """The account a key pair belongs to when its item names none."""

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("GET", "/credentials", self.list_credentials),
                route("POST", "/credentials", self.put),
                route("POST", r"/credentials/(?P<access_key_id>[^/]+)/expire", self.expire),
                route("DELETE", r"/credentials/(?P<access_key_id>[^/]+)", self.delete),
            ],
            state={"credentials": self.public},
            seed={"credentials": self.seed_credential},
        )

    def public(self) -> list[dict[str, object]]:
        return [c.public() for c in self.store.all()]

    def seed_credential(self, item: Mapping[str, object]) -> None:
        allow = item.get("allow", ["*"])
        if not isinstance(allow, list) or not all(isinstance(a, str) for a in allow):
            raise ControlError(400, "allow: must be a list of strings")
        self.store.put(
            Credential(
                access_key_id=text_field(item, "access_key_id"),
                access_key_secret=text_field(item, "access_key_secret"),
                security_token=text_field(item, "security_token", required=False),
                expired=bool(item.get("expired", False)),
                allow=list(allow),
                account_id=text_field(item, "account_id", required=False, default=self.account_id),
            )
        )

    def list_credentials(self, call: ControlRequest) -> object:
        return self.public()

    def put(self, call: ControlRequest) -> object:
        body = call.body()
        self.seed_credential(body)
        credential = self.store.get(text_field(body, "access_key_id"))
        return credential.public() if credential else {}

    def expire(self, call: ControlRequest) -> object:
        access_key_id = call.params["access_key_id"]
        credential = self.store.get(access_key_id)
        if credential is None:
            raise ControlError(404, f"access_key_id: {access_key_id} is not known")
        credential.expired = True
        return credential.public()

    def delete(self, call: ControlRequest) -> object:
        access_key_id = call.params["access_key_id"]
        if not self.store.remove(access_key_id):
            raise ControlError(404, f"access_key_id: {access_key_id} is not known")
        return {"deleted": access_key_id}


class FaultsControl:
    """`/faults`: the fault rules every gateway consults."""

    def __init__(self, faults: FaultInjector) -> None:
        self.faults = faults

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("GET", "/faults", self.list_rules),
                route("POST", "/faults", self.add),
                route("DELETE", "/faults", self.clear),
                route("DELETE", r"/faults/(?P<rule_id>\d+)", self.delete),
            ],
            state={"faults": self.public},
        )

    def public(self) -> list[dict[str, object]]:
        return [r.to_dict() for r in self.faults.rules()]

    def list_rules(self, call: ControlRequest) -> object:
        return self.public()

    def add(self, call: ControlRequest) -> object:
        return self.faults.add(FaultRule.from_dict(call.body())).to_dict()

    def clear(self, call: ControlRequest) -> object:
        self.faults.clear()
        return {"cleared": True}

    def delete(self, call: ControlRequest) -> object:
        rule_id = call.params["rule_id"]
        if not self.faults.remove(int(rule_id)):
            raise ControlError(404, f"fault {rule_id} does not exist")
        return {"deleted": int(rule_id)}


class CallsControl:
    """`GET /calls?service=&action=&since=`: the log of received API calls."""

    def __init__(self, calls: CallLog) -> None:
        self.calls = calls

    def api(self) -> ControlApi:
        return ControlApi(routes=[route("GET", "/calls", self.query)])

    def query(self, call: ControlRequest) -> object:
        query = call.query()
        since = query.get("since", "0")
        if not since.isdigit():
            raise ControlError(400, "since: must be a non-negative integer")
        return self.calls.query(query.get("service"), query.get("action"), int(since))


class ClockControl:
    """`POST /clock/advance`: service time moved forward without waiting."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock

    def api(self) -> ControlApi:
        return ControlApi(routes=[route("POST", "/clock/advance", self.advance)], state={"clock": self.public})

    def public(self) -> dict[str, object]:
        return {"offset_seconds": self.clock.offset, "now_ms": self.clock.now_ms()}

    def advance(self, call: ControlRequest) -> object:
        seconds = call.body().get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or seconds < 0:
            raise ControlError(400, "seconds: must be a non-negative number")
        self.clock.advance(float(seconds))
        return {"offset_seconds": self.clock.offset}
