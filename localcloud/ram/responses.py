"""RAM (2015-05-01) on the wire: GetUser as `alibabacloud-ram20150501` and the OpenAPI core's `call_api` send it.

Both send an RPC-style V3 request (`POST /`, `x-acs-action: GetUser`, `x-acs-version: 2015-05-01`, the parameters in
the query, ACS3-HMAC-SHA256), which the POP gateway verifies exactly as for DMS, so the DMS emulator's verifier is
used as it is. Only V3 signatures are accepted; the V2 `Signature` query parameter is not.
"""

from __future__ import annotations

import json
import uuid

from localcloud.credentials import CredentialStore
from localcloud.dms import signature
from localcloud.dms.errors import DmsError
from localcloud.ram.models import RamBackend
from localcloud.wire import Operation, Request, Response, ServiceError

CONTENT_TYPE = "application/json;charset=utf-8"
ACTIONS = {"2015-05-01": ("GetUser",)}
METHODS = ("GET", "POST")


class RamService:
    name = "ram"

    def __init__(self, backend: RamBackend, credentials: CredentialStore) -> None:
        self.backend = backend
        self.credentials = credentials
        self._nonces = signature.NonceBook()

    def resolve(self, request: Request) -> Operation:
        if request.path != "/" or request.method not in METHODS:
            raise DmsError.API_NOT_FOUND.error()
        action, version = request.header("x-acs-action"), request.header("x-acs-version")
        if not action:
            raise DmsError.MISSING_PARAMETER.error(name="Action")
        if not version:
            raise DmsError.MISSING_PARAMETER.error(name="Version")
        if version not in ACTIONS:
            raise DmsError.INVALID_VERSION.error()
        if action not in ACTIONS[version]:
            raise DmsError.API_NOT_FOUND.error()
        return Operation(
            action=action,
            handler=self._get_user,
            params=request.form_query(),
            headers=signature.signed_headers(request),
        )

    def authenticate(self, request: Request, operation: Operation) -> str:
        credential = signature.verify(request, self.credentials, self._nonces)
        ram_action = f"ram:{operation.action}"
        if not credential.permits(ram_action):
            raise DmsError.FORBIDDEN_RAM.error()
        return credential.access_key_id

    def render_error(self, request: Request, error: ServiceError) -> Response:
        request_id = _new_request_id()
        body: dict[str, object] = {
            "RequestId": request_id,
            "HostId": request.header("host") or "ram.aliyuncs.com",
            "Code": error.code,
            "Message": error.message,
            "Recommend": f"https://api.aliyun.com/troubleshoot?q={error.code}&product=Ram&requestId={request_id}",
        }
        headers = {"x-acs-retry-after": str(error.retry_after)} if error.retry_after else {}
        return _json(error.status, body, headers)

    def request_id(self, response: Response) -> str:
        try:
            body = json.loads(response.body)
        except ValueError:
            return ""
        return str(body.get("RequestId", "")) if isinstance(body, dict) else ""

    def _get_user(self, request: Request) -> Response:
        user = self.backend.get_user(request.form_query().get("UserName", ""))
        return _json(200, {"RequestId": _new_request_id(), "User": user.data()})


def _new_request_id() -> str:
    return str(uuid.uuid4()).upper()


def _json(status: int, body: dict[str, object], headers: dict[str, str] | None = None) -> Response:
    out = {"Content-Type": CONTENT_TYPE, "x-acs-request-id": str(body["RequestId"]), **(headers or {})}
    return Response(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), out)
