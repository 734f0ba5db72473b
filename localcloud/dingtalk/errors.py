"""Every error the DingTalk emulator answers, in one table, each row with where it comes from.

DingTalk has two wire styles. The old API (`oapi.dingtalk.com`: `/gettoken`, `/topapi/...`) answers HTTP 200 with
`{"errcode": n, "errmsg": ...}`, and wraps authentication failures in `errcode 88` with the real reason in
`sub_code` (a string) and `sub_msg`; the new API (`api.dingtalk.com/v1.0/...`) answers 4xx with
`{"requestid", "code", "message"}`. Most rows come from a credential-free probe of the live API published with a
DingTalk skill (its probe log, 2026-09-11: gettoken with a fake key answered 40096, not the table's 40089; a fake
token on topapi/v2/user/get answered 88 / "40014"; no token 88 / "40000"; an unknown topapi path errcode 22; an
unknown path elsewhere errcode 404), the rest from DingTalk's global error-code table. `source` starts with
`assumption:` where nothing was found.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Literal

from localcloud.wire import ServiceError

PROBE = "a credential-free probe of the live API (DingTalk skill probe log, 2026-09-11)"
TABLE = "DingTalk's global error codes (open.dingtalk.com 全局错误码; ddtalk/dingTalkDoc _server.md)"
ACCESS_PAGE = "the docs' 获取企业内部应用的accessToken page (its error table)"

Style = Literal["oapi", "api"]


@dataclass(frozen=True)
class Row:
    style: Style
    status: int
    code: str
    """errcode (oapi; with `sub` the wrapped sub_code) or the new API's `code`."""
    message: str
    source: str
    sub: str = ""
    wrap: str = ""
    """Set where the message travels as `sub_msg` and `errmsg` says `<wrap>[submsg=...]`."""


class DingTalkError(Enum):
    GETTOKEN_MISSING = Row("oapi", 200, "40035", "缺少参数 corpid or appkey", PROBE)
    GETTOKEN_REFUSED = Row("oapi", 200, "40096", "不合法的appKey或appSecret", PROBE)
    TOKEN_BLANK = Row("oapi", 200, "88", "access_token is blank", PROBE, sub="40000")
    TOKEN_INVALID = Row("oapi", 200, "88", "不合法的access_token", f"{PROBE}; 40014 in {TABLE}", sub="40014")
    TOKEN_EXPIRED = Row(
        "oapi",
        200,
        "88",
        "access_token超时",
        f"{TABLE} (42001 access_token超时); assumption: that it travels wrapped in 88 as 40014 does",
        sub="42001",
    )
    USER_NOT_FOUND = Row(
        "oapi", 200, "60121", "找不到该用户", f"{TABLE}; the body as seen in the field (errcode, errmsg, request_id)"
    )
    MISSING_USERID = Row(
        "oapi", 200, "40035", "缺少参数 userid", f"assumption: 40035 (缺少参数) of {TABLE}, worded as gettoken's"
    )
    INVALID_METHOD = Row(
        "oapi", 200, "22", "不合法ApiName\uff0cApiName = dingtalk.oapi.{api}", f"{PROBE} (P14)", wrap="Invalid method"
    )
    URI_NOT_FOUND = Row("oapi", 200, "404", "请求的URI地址不存在", f"{PROBE} (P12); {TABLE}")
    INVALID_CLIENT = Row(
        "api", 400, "invalidClientIdOrSecret", "无效的clientId或者clientSecret", f"{ACCESS_PAGE}; {PROBE}"
    )

    def error(self, **fields: str) -> ServiceError:
        row = self.value
        message = row.message.format(**fields)
        extra: dict[str, object] = {"style": row.style}
        if row.sub:
            extra["sub_code"] = row.sub
            extra["wrap"] = "ding talk error"
        if row.wrap:
            extra["wrap"] = row.wrap
        return ServiceError(row.status, row.code, message, extra=extra)
