"""Which DingTalk API a request is: the old host's paths and the new host's, served side by side on one port.

The product reaches both through one base URL (`DINGTALK_API_ENDPOINT`), so the emulator answers `oapi.dingtalk.com`
and `api.dingtalk.com` paths alike. Action names (for the call log and fault rules) are the new SDK's method name
for the new API and short PascalCase names for the old one. An unknown `/topapi/` path is errcode 22 naming the
ApiName DingTalk derived from it, any other unknown path errcode 404 (both seen on the live API; errors.py).
"""

from __future__ import annotations

from localcloud.dingtalk.errors import DingTalkError
from localcloud.wire import Request

ROUTES: dict[str, tuple[str, tuple[str, ...]]] = {
    "/gettoken": ("GetToken", ("GET", "POST")),
    "/v1.0/oauth2/accessToken": ("GetAccessToken", ("POST",)),
    "/topapi/v2/user/get": ("GetUser", ("GET", "POST")),
}


def route(request: Request) -> str:
    path = request.path.rstrip("/") or "/"
    found = ROUTES.get(path)
    if found is not None and request.method in found[1]:
        return found[0]
    if path.startswith("/topapi/"):
        raise DingTalkError.INVALID_METHOD.error(api=path[len("/topapi/") :].replace("/", "."))
    raise DingTalkError.URI_NOT_FOUND.error()
