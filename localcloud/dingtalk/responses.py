"""DingTalk's open API on the wire: tokens both ways, and topapi/v2/user/get, in DingTalk's own answers.

There is no request signature: an app proves itself with its access token, which the old API reads from the
`access_token` query parameter (or a form body, as the live API does) and never from a header. Authentication
failures of the old API are HTTP 200 with errcode 88 and the reason in `sub_code`; the new API answers 400.

A fault rule on an old-API path whose `code` is a number is a DingTalk errcode and travels as errcodes do, at
HTTP 200 whatever the rule's status (`{"code": "-1", "message": "系统繁忙"}` is DingTalk's "busy, retry"); any other
code keeps the rule's status with errcode -1. On the new API a rule's status and code travel as given.
"""

from __future__ import annotations

import json
import secrets
import string
import uuid
from collections.abc import Callable
from urllib.parse import parse_qsl

from localcloud.dingtalk import urls
from localcloud.dingtalk.errors import DingTalkError
from localcloud.dingtalk.models import DingTalkBackend, TokenRefusedError
from localcloud.wire import Operation, Request, Response, ServiceError

OAPI_CONTENT_TYPE = "application/json;charset=UTF-8"
API_CONTENT_TYPE = "application/json;charset=utf-8"
_REQUEST_ID_ALPHABET = string.digits + string.ascii_lowercase


class DingTalkService:
    name = "dingtalk"

    def __init__(self, backend: DingTalkBackend) -> None:
        self.backend = backend
        self._handlers: dict[str, Callable[[Request], Response]] = {
            "GetToken": self._get_token,
            "GetAccessToken": self._get_access_token,
            "GetUser": self._get_user,
        }

    # Service protocol

    def resolve(self, request: Request) -> Operation:
        action = urls.route(request)
        if action == "GetToken":
            params = {"appkey": request.form_query().get("appkey", "")}
        elif action == "GetAccessToken":
            params = {"appKey": str(_json_body(request).get("appKey", ""))}
        else:
            params = {"userid": _user_get_fields(request).get("userid", "")}
        return Operation(action=action, handler=self._handlers[action], params=params)

    def authenticate(self, request: Request, operation: Operation) -> str:
        """The caller's app key. Token exchanges check the secret in their handler, as DingTalk answers them."""
        if operation.action != "GetUser":
            return next(iter(operation.params.values()), "")
        token = request.form_query().get("access_token") or _user_get_fields(request).get("access_token", "")
        if not token:
            raise DingTalkError.TOKEN_BLANK.error()
        state = self.backend.token_state(token)
        if state == "unknown":
            raise DingTalkError.TOKEN_INVALID.error()
        if state == "expired":
            raise DingTalkError.TOKEN_EXPIRED.error()
        return self.backend.app_key

    def render_error(self, request: Request, error: ServiceError) -> Response:
        style = error.extra.get("style") or ("api" if request.path.startswith("/v1.0/") else "oapi")
        if style == "api":
            request_id = _api_request_id()
            body: dict[str, object] = {"requestid": request_id, "code": error.code, "message": error.message}
            return _json(error.status, body, API_CONTENT_TYPE, {"x-acs-request-id": request_id})
        numeric = error.code.lstrip("-").isdigit()
        errcode = int(error.code) if numeric else -1
        status = 200 if numeric and "style" not in error.extra else error.status
        wrap = str(error.extra.get("wrap", ""))
        sub_code = error.extra.get("sub_code")
        if sub_code:
            body = {
                "errcode": errcode,
                "sub_code": sub_code,
                "sub_msg": error.message,
                "errmsg": f"{wrap}[subcode={sub_code},submsg={error.message}]",
            }
        elif wrap:
            body = {"errcode": errcode, "sub_msg": error.message, "errmsg": f"{wrap}[submsg={error.message}]"}
        else:
            body = {"errcode": errcode, "errmsg": error.message}
        if request.path.startswith("/topapi/"):
            body["request_id"] = _oapi_request_id()
        return _json(status, body, OAPI_CONTENT_TYPE)

    def request_id(self, response: Response) -> str:
        try:
            body = json.loads(response.body)
        except ValueError:
            return ""
        if isinstance(body, dict):
            return str(body.get("request_id") or body.get("requestid") or response.headers.get("x-acs-request-id", ""))
        return ""

    # Operations

    def _get_token(self, request: Request) -> Response:
        query = request.form_query()
        appkey, appsecret = query.get("appkey", ""), query.get("appsecret", "")
        if not appkey:
            raise DingTalkError.GETTOKEN_MISSING.error()
        try:
            token, expires_in = self.backend.issue_token(appkey, appsecret)
        except TokenRefusedError:
            raise DingTalkError.GETTOKEN_REFUSED.error() from None
        body = {"errcode": 0, "access_token": token, "errmsg": "ok", "expires_in": expires_in}
        return _json(200, body, "application/json")

    def _get_access_token(self, request: Request) -> Response:
        data = _json_body(request)
        try:
            token, expires_in = self.backend.issue_token(str(data.get("appKey", "")), str(data.get("appSecret", "")))
        except TokenRefusedError:
            raise DingTalkError.INVALID_CLIENT.error() from None
        body = {"accessToken": token, "expireIn": expires_in}
        return _json(200, body, API_CONTENT_TYPE, {"x-acs-request-id": _api_request_id()})

    def _get_user(self, request: Request) -> Response:
        userid = _user_get_fields(request).get("userid", "")
        if not userid:
            raise DingTalkError.MISSING_USERID.error()
        user = self.backend.get_user(userid)
        if user is None:
            raise DingTalkError.USER_NOT_FOUND.error()
        body = {"errcode": 0, "errmsg": "ok", "result": user.result(), "request_id": _oapi_request_id()}
        return _json(200, body, OAPI_CONTENT_TYPE)


def _json_body(request: Request) -> dict[str, object]:
    try:
        data = json.loads(request.body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _user_get_fields(request: Request) -> dict[str, str]:
    """`userid` and perhaps `access_token`, from the query, a JSON body or a form body (the live API reads all)."""
    fields = dict(request.form_query())
    body = request.body.strip()
    if body.startswith(b"{"):
        fields.update({k: str(v) for k, v in _json_body(request).items() if isinstance(v, (str, int))})
    elif body:
        fields.update(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
    return fields


def _oapi_request_id() -> str:
    return "".join(secrets.choice(_REQUEST_ID_ALPHABET) for _ in range(13))


def _api_request_id() -> str:
    return str(uuid.uuid4()).upper()


def _json(status: int, body: dict[str, object], content_type: str, headers: dict[str, str] | None = None) -> Response:
    out = {"Content-Type": content_type, **(headers or {})}
    return Response(status, json.dumps(body, ensure_ascii=False).encode("utf-8"), out)
