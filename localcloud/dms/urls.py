"""Which actions each DMS product answers, per API version.

RPC-style V3 requests carry the action and version in `x-acs-action` / `x-acs-version` headers and always
target `/`, so routing is a table lookup rather than path matching. A version the product does not offer is
told apart from an action it does not have, as a client pointed at the wrong product needs to know which.
"""

from __future__ import annotations

from localcloud.dms.errors import DmsError
from localcloud.wire import Request

ROUTES: dict[str, dict[str, dict[str, str]]] = {
    "dms-enterprise": {
        "2018-11-01": {
            "RegisterUser": "register_user",
            "GetUser": "get_user",
            "ListUsers": "list_users",
            "UpdateUser": "update_user",
            "DisableUser": "disable_user",
            "EnableUser": "enable_user",
            "DeleteUser": "delete_user",
        }
    },
    "dms": {
        "2025-04-14": {
            "AddUserToDataAgentWorkspace": "add_user_to_data_agent_workspace",
            "UpdateDataAgentWorkspaceMemberRole": "update_data_agent_workspace_member_role",
            "RemoveUserToDataAgentWorkspace": "remove_user_to_data_agent_workspace",
            "ListDataAgentWorkspaceMember": "list_data_agent_workspace_member",
            "GetDataAgentWorkspaceInfo": "get_data_agent_workspace_info",
        }
    },
}
"""Each action's handler in localcloud.dms.responses; `RemoveUserToDataAgentWorkspace` is the real spelling."""
METHODS = ("GET", "POST")


def route(product: str, request: Request) -> tuple[str, str]:
    """(action, handler name), or the gateway error for a request this product cannot serve."""
    if request.path != "/" or request.method not in METHODS:
        raise DmsError.API_NOT_FOUND.error()
    action = request.header("x-acs-action")
    version = request.header("x-acs-version")
    if not action:
        raise DmsError.MISSING_PARAMETER.error(name="Action")
    if not version:
        raise DmsError.MISSING_PARAMETER.error(name="Version")
    actions = ROUTES[product].get(version)
    if actions is None:
        raise DmsError.INVALID_VERSION.error()
    handler = actions.get(action)
    if handler is None:
        raise DmsError.API_NOT_FOUND.error()
    return action, handler
