"""The DMS operations the product calls, as data: which product, which API version, which action.

DMS is two products with two SDK packages: dms-enterprise (API 2018-11-01) holds the users, Dms (API 2025-04-14)
the Data-Agent workspaces. One call path (shared.dms.client) takes any row of this table with its parameters,
spelled as on the wire, so an operation the lifecycle needs (UpdateUser, DisableUser, GetUser, the workspace
member operations) is one row here, and the transport beneath (shared.dms.transport) can change in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Product = Literal["dms-enterprise", "dms"]

ENDPOINT_RULES: dict[Product, str] = {"dms-enterprise": "central", "dms": "regional"}
"""How each generated client finds its endpoint when none is configured: dms-enterprise.aliyuncs.com for every
region, dms.<region>.aliyuncs.com per region."""


@dataclass(frozen=True)
class Operation:
    product: Product
    version: str
    action: str


REGISTER_USER = Operation("dms-enterprise", "2018-11-01", "RegisterUser")
GET_USER = Operation("dms-enterprise", "2018-11-01", "GetUser")
LIST_USERS = Operation("dms-enterprise", "2018-11-01", "ListUsers")
UPDATE_USER = Operation("dms-enterprise", "2018-11-01", "UpdateUser")
DISABLE_USER = Operation("dms-enterprise", "2018-11-01", "DisableUser")
ENABLE_USER = Operation("dms-enterprise", "2018-11-01", "EnableUser")
DELETE_USER = Operation("dms-enterprise", "2018-11-01", "DeleteUser")
ADD_USER_TO_DATA_AGENT_WORKSPACE = Operation("dms", "2025-04-14", "AddUserToDataAgentWorkspace")
UPDATE_DATA_AGENT_WORKSPACE_MEMBER_ROLE = Operation("dms", "2025-04-14", "UpdateDataAgentWorkspaceMemberRole")
REMOVE_USER_TO_DATA_AGENT_WORKSPACE = Operation("dms", "2025-04-14", "RemoveUserToDataAgentWorkspace")
LIST_DATA_AGENT_WORKSPACE_MEMBER = Operation("dms", "2025-04-14", "ListDataAgentWorkspaceMember")
GET_DATA_AGENT_WORKSPACE_INFO = Operation("dms", "2025-04-14", "GetDataAgentWorkspaceInfo")

OPERATIONS: tuple[Operation, ...] = (
    REGISTER_USER,
    GET_USER,
    LIST_USERS,
    UPDATE_USER,
    DISABLE_USER,
    ENABLE_USER,
    DELETE_USER,
    ADD_USER_TO_DATA_AGENT_WORKSPACE,
    UPDATE_DATA_AGENT_WORKSPACE_MEMBER_ROLE,
    REMOVE_USER_TO_DATA_AGENT_WORKSPACE,
    LIST_DATA_AGENT_WORKSPACE_MEMBER,
    GET_DATA_AGENT_WORKSPACE_INFO,
)
