"""Which actions each DMS product answers, per API version: the gateway routes on x-acs-action/x-acs-version."""

from __future__ import annotations

from localcloud.dms import errors
from localcloud.wire import Request

ROUTES: dict[str, dict[str, dict[str, str]]] = {
    "dms-enterprise": {"2018-11-01": {"RegisterUser": "register_user"}},
    "dms": {"2025-04-14": {"AddUserToDataAgentWorkspace": "add_user_to_data_agent_workspace"}},
}


def route(product: str, request: Request) -> tuple[str, str]:
    """(action, handler name) or the gateway error for an unknown action or version."""
    action = request.header("x-acs-action")
    version = request.header("x-acs-version")
    if request.path != "/" or request.method not in ("GET", "POST"):
        raise errors.API_NOT_FOUND.error()
    if not action:
        raise errors.missing("Action")
    if not version:
        raise errors.missing("Version")
    versions = ROUTES[product]
    if version not in versions:
        raise errors.INVALID_VERSION.error()
    handler = versions[version].get(action)
    if handler is None:
        raise errors.API_NOT_FOUND.error()
    return action, handler
