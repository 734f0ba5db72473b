"""DMS's part of the control plane: its state (`GET /state/dms`: tenants; users with their DMS user id and state
NORMAL, DISABLE or DELETE; workspaces with members), tenants and workspaces, by route or in a seed.

DMS creates tenants and workspaces in its console, not through an API, so this is the only way to make them.
"""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.control.router import ControlApi, ControlRequest, route, text_field
from localcloud.dms.models import DmsBackend
from localcloud.dms.quota import ApiQuota, settings_from


class DmsControl:
    def __init__(self, backend: DmsBackend, quota: ApiQuota) -> None:
        self.backend = backend
        self.quota = quota

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("GET", "/state/dms", self.state),
                route("POST", "/dms/tenants", self.add_tenant),
                route("POST", "/dms/workspaces", self.add_workspace),
                route("GET", "/dms/quota", self.get_quota),
                route("PUT", "/dms/quota", self.put_quota),
            ],
            state={"dms": self.backend.snapshot},
            seed={"tenants": self.seed_tenant, "workspaces": self.seed_workspace},
        )

    def get_quota(self, call: ControlRequest) -> object:
        """The quota in force and, per action, the calls admitted and throttled since it was set."""
        return self.quota.snapshot()

    def put_quota(self, call: ControlRequest) -> object:
        """`{"qps": 20, "actions": {"RegisterUser": 5}, "retry_after": true}`; `{"qps": null}` lifts it."""
        self.quota.configure(settings_from(call.body()))
        return self.quota.snapshot()

    def state(self, call: ControlRequest) -> object:
        return self.backend.snapshot()

    def seed_tenant(self, item: Mapping[str, object]) -> None:
        self.backend.add_tenant(int(text_field(item, "tid")), text_field(item, "name", required=False))

    def seed_workspace(self, item: Mapping[str, object]) -> None:
        tid = item.get("tid")
        self.backend.add_workspace(
            text_field(item, "workspace_id"),
            name=text_field(item, "name", required=False),
            tid=int(str(tid)) if tid is not None else None,
            dms_unit=text_field(item, "dms_unit", required=False) or None,
            creator=text_field(item, "creator", required=False),
            description=text_field(item, "description", required=False),
        )

    def add_tenant(self, call: ControlRequest) -> object:
        self.seed_tenant(call.body())
        return self.backend.snapshot()["tenants"]

    def add_workspace(self, call: ControlRequest) -> object:
        self.seed_workspace(call.body())
        return self.backend.snapshot()["workspaces"]
