"""The DMS operations the product calls, as data: which product, which API version, which action.

DMS is two products with two SDK packages: dms-enterprise (API 2018-11-01) holds the users, Dms (API 2025-04-14)
the Data-Agent workspaces. One call path (shared.dms.client) takes any row of this table with its parameters,
spelled as on the wire, so an operation the lifecycle needs (UpdateUser, DisableUser, GetUser, the workspace
member operations) is one row here, and the transport beneath (shared.dms.transport) can change in one place.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Literal

Product = Literal["dms-enterprise", "dms"]

_WORD_START = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True)
class Operation:
    product: Product
    version: str
    action: str

    @functools.cached_property
    def method_name(self) -> str:
        """The generated SDK client's method for it: RegisterUser -> register_user_with_options."""
        return _WORD_START.sub("_", self.action).lower() + "_with_options"

    @functools.cached_property
    def request_model(self) -> str:
        """The generated SDK's request model for it: RegisterUser -> RegisterUserRequest."""
        return self.action + "Request"


REGISTER_USER = Operation("dms-enterprise", "2018-11-01", "RegisterUser")
ADD_USER_TO_DATA_AGENT_WORKSPACE = Operation("dms", "2025-04-14", "AddUserToDataAgentWorkspace")

OPERATIONS: tuple[Operation, ...] = (REGISTER_USER, ADD_USER_TO_DATA_AGENT_WORKSPACE)
