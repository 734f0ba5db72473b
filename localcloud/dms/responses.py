"""DMS wire format: RPC parameters in the query, JSON out, POP gateway error bodies.

tea-openapi parses every answer as JSON (anything else becomes an UnretryableException) and raises only for
status >= 400, so business errors in the `body` styles are HTTP 200 and gateway errors always carry a status.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from typing import overload

from localcloud.config import DMS_ERROR_STYLES
from localcloud.credentials import Credential, CredentialStore
from localcloud.dms import signature, urls
from localcloud.dms.errors import DmsError, kind_of
from localcloud.dms.models import DmsBackend, MemberQuery, UserQuery, mask_mobile
from localcloud.dms.quota import ApiQuota
from localcloud.wire import Operation, Request, Response, ServiceError

CONTENT_TYPE = "application/json;charset=utf-8"
INTEGER = re.compile(r"-?[0-9]{1,18}")


class DmsService:
    def __init__(
        self,
        product: str,
        backend: DmsBackend,
        credentials: CredentialStore,
        error_style: str = "body",
        quota: ApiQuota | None = None,
    ) -> None:
        if product not in urls.ROUTES:
            raise ValueError(f"product: must be one of {', '.join(urls.ROUTES)}")
        if error_style not in DMS_ERROR_STYLES:
            raise ValueError(f"error_style: must be one of {', '.join(DMS_ERROR_STYLES)}")
        self.name = product
        self.backend = backend
        self.quota = quota or ApiQuota()
        """Shared by both products: the account's flow control counts every call it receives."""
        self.credentials = credentials
        self.error_style = error_style
        """Read on every error, so a test may switch it on a running service (and must put it back)."""
        self._nonces = signature.NonceBook()
        self._handlers: dict[str, Callable[[Request], Response]] = {
            "register_user": self._register_user,
            "get_user": self._get_user,
            "list_users": self._list_users,
            "update_user": self._update_user,
            "disable_user": self._disable_user,
            "enable_user": self._enable_user,
            "delete_user": self._delete_user,
            "add_user_to_data_agent_workspace": self._add_user_to_data_agent_workspace,
            "update_data_agent_workspace_member_role": self._update_data_agent_workspace_member_role,
            "remove_user_to_data_agent_workspace": self._remove_user_to_data_agent_workspace,
            "list_data_agent_workspace_member": self._list_data_agent_workspace_member,
            "get_data_agent_workspace_info": self._get_data_agent_workspace_info,
        }

    # Service protocol

    def resolve(self, request: Request) -> Operation:
        action, handler_name = urls.route(self.name, request)
        params = request.form_query()
        if params.get("Mobile"):
            params["Mobile"] = mask_mobile(params["Mobile"])
        return Operation(
            action=action,
            handler=self._handlers[handler_name],
            params=params,
            headers=signature.signed_headers(request),
        )

    def authenticate(self, request: Request, operation: Operation) -> str:
        credential = signature.verify(request, self.credentials, self._nonces)
        ram_action = f"dms:{operation.action}"
        if not credential.permits(ram_action):
            raise DmsError.FORBIDDEN_RAM.error(detail=_access_denied_detail(credential, ram_action))
        wait_ms = self.quota.admit(operation.action)
        if wait_ms is not None:
            raise DmsError.THROTTLING_USER.error(retry_after=wait_ms if self.quota.settings.retry_after else None)
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
        self.backend.register_user(
            _tid(query), _uid(query), query.get("UserNick", ""), query.get("RoleNames", ""), query.get("Mobile", "")
        )
        return _ok()

    def _get_user(self, request: Request) -> Response:
        query = request.form_query()
        uid, user_id = query.get("Uid", ""), query.get("UserId", "")
        if not uid and not user_id:
            raise DmsError.MISSING_PARAMETER.error(name="Uid")
        return _ok(User=self.backend.get_user(_tid(query), uid, user_id))

    def _list_users(self, request: Request) -> Response:
        query = request.form_query()
        filters = UserQuery(
            page_number=_integer(query, "PageNumber", 1),
            page_size=_integer(query, "PageSize", 10),
            role=query.get("Role", ""),
            user_state=query.get("UserState", ""),
            search_key=query.get("SearchKey", ""),
        )
        total, found = self.backend.list_users(_tid(query), filters)
        return _ok(TotalCount=total, UserList={"User": found})

    def _update_user(self, request: Request) -> Response:
        query = request.form_query()
        uid = query.get("UidString") or query.get("Uid", "")
        if not uid:
            raise DmsError.MISSING_PARAMETER.error(name="Uid")
        self.backend.update_user(
            _tid(query),
            uid,
            nick=query.get("UserNick", ""),
            role_names=query.get("RoleNames", ""),
            mobile=query.get("Mobile", ""),
            max_execute_count=_integer(query, "MaxExecuteCount", None),
            max_result_count=_integer(query, "MaxResultCount", None),
        )
        return _ok()

    def _disable_user(self, request: Request) -> Response:
        query = request.form_query()
        self.backend.disable_user(_tid(query), _uid(query))
        return _ok()

    def _enable_user(self, request: Request) -> Response:
        query = request.form_query()
        self.backend.enable_user(_tid(query), _uid(query))
        return _ok()

    def _delete_user(self, request: Request) -> Response:
        query = request.form_query()
        self.backend.delete_user(_tid(query), _uid(query))
        return _ok()

    def _add_user_to_data_agent_workspace(self, request: Request) -> Response:
        query = request.form_query()
        data = self.backend.add_workspace_member(
            query.get("WorkspaceId", ""), query.get("MemberId", ""), query.get("RoleName", ""), query.get("DMSUnit", "")
        )
        return _ok(Data=data)

    def _update_data_agent_workspace_member_role(self, request: Request) -> Response:
        query = request.form_query()
        data = self.backend.update_workspace_member_role(
            query.get("WorkspaceId", ""), query.get("MemberId", ""), query.get("RoleName", ""), query.get("DMSUnit", "")
        )
        return _ok(Data=data)

    def _remove_user_to_data_agent_workspace(self, request: Request) -> Response:
        query = request.form_query()
        self.backend.remove_workspace_member(
            query.get("WorkspaceId", ""), query.get("MemberId", ""), query.get("DMSUnit", "")
        )
        return _ok()

    def _list_data_agent_workspace_member(self, request: Request) -> Response:
        query = request.form_query()
        filters = MemberQuery(
            page_number=_integer(query, "PageNumber", 1),
            page_size=_integer(query, "PageSize", 10),
            search_member_id=query.get("SearchMemberId", ""),
            search_role_name=query.get("SearchRoleName", ""),
            descending=query.get("Order", "").lower() == "desc",
        )
        data = self.backend.list_workspace_members(query.get("WorkspaceId", ""), filters, query.get("DMSUnit", ""))
        return _ok(Data=data)

    def _get_data_agent_workspace_info(self, request: Request) -> Response:
        query = request.form_query()
        return _ok(Data=self.backend.workspace_info(query.get("WorkspaceId", ""), query.get("DMSUnit", "")))


def _ok(**fields: object) -> Response:
    return _json(200, {"RequestId": _new_request_id(), "Success": True, **fields})


def _uid(query: dict[str, str]) -> str:
    uid = query.get("Uid", "")
    if not uid:
        raise DmsError.MISSING_PARAMETER.error(name="Uid")
    return uid


def _tid(query: dict[str, str]) -> int | None:
    return _integer(query, "Tid", None)


@overload
def _integer(query: dict[str, str], name: str, default: int) -> int: ...
@overload
def _integer(query: dict[str, str], name: str, default: None) -> int | None: ...
def _integer(query: dict[str, str], name: str, default: int | None) -> int | None:
    """An integer parameter (the SDK stringifies ints), its default when absent or empty."""
    value = query.get(name, "")
    if not value:
        return default
    if not INTEGER.fullmatch(value):
        raise DmsError.INVALID_PARAMETER.error(name=name, reason=f"{value!r} is not an integer")
    return int(value)


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
