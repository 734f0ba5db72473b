"""DMS wire format: RPC parameters in the query, JSON out, POP gateway error bodies.

tea-openapi parses every answer as JSON (anything else becomes an UnretryableException) and raises only for
status >= 400, so business errors in the `body` styles are HTTP 200 and gateway errors always carry a status.
"""

from __future__ import annotations

import json
import uuid

from localcloud.credentials import CredentialStore
from localcloud.dms import errors, signature, urls
from localcloud.dms.models import DmsBackend, mask_mobile
from localcloud.wire import Operation, Request, Response, ServiceError

PRODUCTS = {"dms-enterprise": "dms-enterprise", "dms": "dms"}


class DmsService:
    def __init__(
        self, product: str, backend: DmsBackend, credentials: CredentialStore, error_style: str = "body"
    ) -> None:
        if product not in urls.ROUTES:
            raise ValueError(f"product: must be one of {', '.join(urls.ROUTES)}")
        self.name = product
        self.backend = backend
        self.credentials = credentials
        self.error_style = error_style
        self._nonces = signature.NonceBook()

    # Service protocol

    def resolve(self, request: Request) -> Operation:
        action, handler_name = urls.route(self.name, request)
        params = request.form_query()
        if params.get("Mobile"):
            params["Mobile"] = mask_mobile(params["Mobile"])
        handler = getattr(self, "_" + handler_name)
        return Operation(action=action, handler=handler, params=params)

    def authenticate(self, request: Request, operation: Operation) -> str:
        credential = signature.verify(request, self.credentials, self._nonces)
        ram_action = f"dms:{operation.action}"
        if not credential.permits(ram_action):
            raise errors.FORBIDDEN_RAM.error(
                access_denied_detail={
                    "AuthAction": ram_action,
                    "AuthPrincipalType": "AssumedRoleUser" if credential.security_token else "SubUser",
                    "AuthPrincipalDisplayName": credential.access_key_id,
                    "NoPermissionType": "ImplicitDeny",
                    "PolicyType": "AccountLevelIdentityBasedPolicy",
                }
            )
        return credential.access_key_id

    def render_error(self, request: Request, error: ServiceError) -> Response:
        request_id = self._request_id()
        if error.extra.get("kind") == "business" and self.error_style != "gateway":
            code = str(error.status) if self.error_style == "body-status" else error.code
            return self._json(
                200, {"RequestId": request_id, "Success": False, "ErrorCode": code, "ErrorMessage": error.message}
            )
        body: dict[str, object] = {
            "RequestId": request_id,
            "HostId": request.header("host") or f"{self.name}.aliyuncs.com",
            "Code": error.code,
            "Message": error.message,
            "Recommend": (
                f"https://api.aliyun.com/troubleshoot?q={error.code}&product={PRODUCTS[self.name]}"
                f"&requestId={request_id}"
            ),
        }
        if "access_denied_detail" in error.extra:
            body["AccessDeniedDetail"] = error.extra["access_denied_detail"]
        headers = {"x-acs-retry-after": str(error.retry_after)} if error.retry_after else {}
        return self._json(error.status, body, headers)

    def request_id(self, response: Response) -> str:
        return response.headers.get("x-acs-request-id", "")

    # Helpers

    @staticmethod
    def _request_id() -> str:
        return str(uuid.uuid4()).upper()

    def _json(self, status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> Response:
        request_id = str(body.get("RequestId", ""))
        out = {"Content-Type": "application/json;charset=utf-8", "x-acs-request-id": request_id}
        out.update(headers or {})
        return Response(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), out)

    # Operations

    def _register_user(self, request: Request) -> Response:
        query = request.form_query()
        uid = query.get("Uid", "")
        if not uid:
            raise errors.missing("Uid")
        tid: int | None = None
        if query.get("Tid"):
            try:
                tid = int(query["Tid"])
            except ValueError:
                raise errors.invalid_parameter("Tid", "it must be an integer") from None
        self.backend.register_user(
            tid, uid, query.get("UserNick", ""), query.get("RoleNames", ""), query.get("Mobile", "")
        )
        return self._json(200, {"RequestId": self._request_id(), "Success": True})

    def _add_user_to_data_agent_workspace(self, request: Request) -> Response:
        query = request.form_query()
        member = self.backend.add_workspace_member(
            query.get("WorkspaceId", ""), query.get("MemberId", ""), query.get("RoleName", ""), query.get("DMSUnit", "")
        )
        return self._json(200, {"RequestId": self._request_id(), "Success": True, "Data": member.data()})
