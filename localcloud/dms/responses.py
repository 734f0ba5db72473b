"""DMS wire format: RPC parameters in the query, JSON out, POP gateway error bodies.

tea-openapi parses every answer as JSON (anything else becomes an UnretryableException) and raises only for
status >= 400, so business errors in the `body` styles are HTTP 200 and gateway errors always carry a status.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

from localcloud.config import DMS_ERROR_STYLES
from localcloud.credentials import Credential, CredentialStore
from localcloud.dms import signature, urls
from localcloud.dms.errors import DmsError, kind_of
from localcloud.dms.models import DmsBackend, mask_mobile
from localcloud.wire import Operation, Request, Response, ServiceError

CONTENT_TYPE = "application/json;charset=utf-8"
INTEGER = re.compile(r"-?[0-9]{1,18}")


class DmsService:
    def __init__(
        self, product: str, backend: DmsBackend, credentials: CredentialStore, error_style: str = "body"
    ) -> None:
        if product not in urls.ROUTES:
            raise ValueError(f"product: must be one of {', '.join(urls.ROUTES)}")
        if error_style not in DMS_ERROR_STYLES:
            raise ValueError(f"error_style: must be one of {', '.join(DMS_ERROR_STYLES)}")
        self.name = product
        self.backend = backend
        self.credentials = credentials
        self.error_style = error_style
        """Read on every error, so a test may switch it on a running service (and must put it back)."""
        self._nonces = signature.NonceBook()
        self._handlers: dict[str, Callable[[Request], Response]] = {
            "register_user": self._register_user,
            "add_user_to_data_agent_workspace": self._add_user_to_data_agent_workspace,
        }

    # Service protocol

    def resolve(self, request: Request) -> Operation:
        action, handler_name = urls.route(self.name, request)
        params = request.form_query()
        if params.get("Mobile"):
            params["Mobile"] = mask_mobile(params["Mobile"])
        return Operation(action=action, handler=self._handlers[handler_name], params=params)

    def authenticate(self, request: Request, operation: Operation) -> str:
        credential = signature.verify(request, self.credentials, self._nonces)
        ram_action = f"dms:{operation.action}"
        if not credential.permits(ram_action):
            raise DmsError.FORBIDDEN_RAM.error(detail=_access_denied_detail(credential, ram_action))
        return credential.access_key_id

    def render_error(self, request: Request, error: ServiceError) -> Response:
        request_id = _new_request_id()
        if kind_of(error) == "business" and self.error_style != "gateway":
            code = str(error.status) if self.error_style == "body-status" else error.code
            body: dict[str, object] = {
                "RequestId": request_id,
                "Success": False,
                "ErrorCode": code,
                "ErrorMessage": error.message,
            }
            return _json(200, body)
        body = {
            "RequestId": request_id,
            "HostId": request.header("host") or f"{self.name}.aliyuncs.com",
            "Code": error.code,
            "Message": error.message,
            "Recommend": (
                f"https://api.aliyun.com/troubleshoot?q={error.code}&product={self.name}&requestId={request_id}"
            ),
        }
        if "access_denied_detail" in error.extra:
            body["AccessDeniedDetail"] = error.extra["access_denied_detail"]
        headers = {"x-acs-retry-after": str(error.retry_after)} if error.retry_after else {}
        return _json(error.status, body, headers)

    def request_id(self, response: Response) -> str:
        try:
            body = json.loads(response.body)
        except ValueError:
            body = None
        if isinstance(body, dict) and isinstance(body.get("RequestId"), str):
            return str(body["RequestId"])
        return response.headers.get("x-acs-request-id", "")

    # Operations

    def _register_user(self, request: Request) -> Response:
        query = request.form_query()
        uid = query.get("Uid", "")
        if not uid:
            raise DmsError.MISSING_PARAMETER.error(name="Uid")
        tid: int | None = None
        if query.get("Tid"):
            if not INTEGER.fullmatch(query["Tid"]):
                raise DmsError.INVALID_PARAMETER.error(name="Tid", reason=f"{query['Tid']!r} is not an integer")
            tid = int(query["Tid"])
        self.backend.register_user(
            tid, uid, query.get("UserNick", ""), query.get("RoleNames", ""), query.get("Mobile", "")
        )
        return _json(200, {"RequestId": _new_request_id(), "Success": True})

    def _add_user_to_data_agent_workspace(self, request: Request) -> Response:
        query = request.form_query()
        data = self.backend.add_workspace_member(
            query.get("WorkspaceId", ""), query.get("MemberId", ""), query.get("RoleName", ""), query.get("DMSUnit", "")
        )
        return _json(200, {"RequestId": _new_request_id(), "Success": True, "Data": data})


def _new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def _access_denied_detail(credential: Credential, ram_action: str) -> dict[str, object]:
    """The fields a real Forbidden.RAM carries, so a client can log which action its policy lacks."""
    return {
        "AuthAction": ram_action,
        "AuthPrincipalType": "AssumedRoleUser" if credential.security_token else "SubUser",
        "AuthPrincipalDisplayName": credential.access_key_id,
        "AuthPrincipalOwnerId": credential.account_id,
        "NoPermissionType": "ImplicitDeny",
        "PolicyType": "AccountLevelIdentityBasedPolicy",
        "EncodedDiagnosticMessage": "",
    }


def _json(status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> Response:
    out = {"Content-Type": CONTENT_TYPE, "x-acs-request-id": str(body["RequestId"])}
    out.update(headers or {})
    return Response(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), out)
