"""RAM's part of the control plane: the account's RAM users (`GET /state/ram`, `POST /ram/users`,
`DELETE /ram/users/{user_name}`, the seed section `ram_users`), so a test can give a person the RAM user whose
UserId the product looks up as their UID."""

from __future__ import annotations

from collections.abc import Mapping

from localcloud.control.router import ControlApi, ControlError, ControlRequest, route
from localcloud.ram.models import RamBackend


class RamControl:
    def __init__(self, backend: RamBackend) -> None:
        self.backend = backend

    def api(self) -> ControlApi:
        return ControlApi(
            routes=[
                route("GET", "/state/ram", self.state),
                route("POST", "/ram/users", self.put_user),
                route("DELETE", r"/ram/users/(?P<user_name>[^/]+)", self.remove_user),
            ],
            state={"ram": self.backend.snapshot},
            seed={"ram_users": self.seed_user},
        )

    def state(self, call: ControlRequest) -> object:
        return self.backend.snapshot()

    def seed_user(self, item: Mapping[str, object]) -> None:
        try:
            self.backend.put_user(item)
        except ValueError as error:
            raise ControlError(400, str(error)) from None

    def put_user(self, call: ControlRequest) -> object:
        try:
            return self.backend.put_user(call.body()).public()
        except ValueError as error:
            raise ControlError(400, str(error)) from None

    def remove_user(self, call: ControlRequest) -> object:
        name = call.params["user_name"]
        if not self.backend.remove_user(name):
            raise ControlError(404, f"user_name: {name} is not a RAM user")
        return {"removed": name}
