"""DingTalk's open API, the two calls onboarding needs: an access token, and a user's details.

DingTalk's address-book events name user ids only, so the worker asks `topapi/v2/user/get` for each person. The
app's access token is cached per instance until shortly before it expires (DingTalk says how long in `expires_in`;
the lifetime is not documented, 7200 s is what it has answered) and fetched again once when DingTalk calls it
invalid or expired. `alibabacloud-dingtalk` wraps only the newer api.dingtalk.com and costs 88 MB, so these two
calls are plain HTTPS with the standard library.

Error codes (DingTalk answers HTTP 200 with `errcode`): 60121 is "no such user" (the person left the organisation:
not an error here, the caller decides); an invalid or expired token is 40014, 42001 or 40001, which the topapi
reports as errcode 88 with the code in `sub_code` (as probes of the live API show). Codes in
TRANSIENT_CODES, 5xx answers and network failures are worth retrying; anything else is a configuration problem
(a wrong app secret, a missing permission) that waiting will not heal.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from typing import Any

NO_SUCH_USER = frozenset({60121, 60111})
TOKEN_CODES = frozenset({40014, 42001, 40001})
TOKEN_SUB_CODES = frozenset({"40000", "40001", "40014", "42001"})
"""How topapi says it under errcode 88: 40000 is no token at all."""
TRANSIENT_CODES = frozenset({-1, 90018, 90002})
"""-1: "system busy"; 90018 and 90002: DingTalk's flow control (not confirmed which it sends to which API)."""
TOKEN_MARGIN_SECONDS = 300


class DingTalkApiError(Exception):
    """DingTalk refused or could not be reached; `retryable` says whether waiting may help."""

    def __init__(self, code: str, message: str, *, retryable: bool) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.retryable = retryable


class DingTalkApi:
    def __init__(
        self,
        endpoint: str,
        app_key: str,
        app_secret: str,
        *,
        timeout: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.endpoint = endpoint.rstrip("/")
        self._app_key = app_key
        self._app_secret = app_secret
        self.timeout = timeout
        self.clock = clock
        self._token = ""
        self._token_until = 0.0
        self._lock = threading.Lock()

    def user(self, userid: str) -> Mapping[str, Any] | None:
        """The user's `result`, or None when DingTalk has no such user in the organisation."""
        answer = self._user_get(userid, self.token())
        if _token_refused(answer):  # expired before our cache thought it would: once more with a new one
            answer = self._user_get(userid, self.token(renew=True))
        code = answer.get("errcode")
        if code == 0:
            result = answer.get("result")
            return result if isinstance(result, Mapping) else {}
        if code in NO_SUCH_USER:
            return None
        raise _refusal(answer)

    def _user_get(self, userid: str, token: str) -> Mapping[str, Any]:
        return self._call("POST", "/topapi/v2/user/get", {"access_token": token}, {"userid": userid})

    def token(self, *, renew: bool = False) -> str:
        with self._lock:
            if renew or not self._token or self.clock() >= self._token_until:
                if not self._app_key or not self._app_secret:
                    raise DingTalkApiError(
                        "NotConfigured", "DINGTALK_APP_KEY and DINGTALK_APP_SECRET are needed", retryable=False
                    )
                query = {"appkey": self._app_key, "appsecret": self._app_secret}
                answer = self._call("GET", "/gettoken", query, None)
                token = answer.get("access_token")
                if answer.get("errcode") != 0 or not isinstance(token, str):
                    raise _refusal(answer)
                expires = answer.get("expires_in")
                lifetime = expires if isinstance(expires, int) and expires > 0 else 7200
                self._token = token
                self._token_until = self.clock() + max(lifetime - TOKEN_MARGIN_SECONDS, lifetime / 2)
            return self._token

    def _call(self, method: str, path: str, query: Mapping[str, str], body: object | None) -> Mapping[str, Any]:
        url = f"{self.endpoint}{path}?{urllib.parse.urlencode(query)}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})  # noqa: S310 - the configured endpoint
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                text = answer.read()
        except urllib.error.HTTPError as error:
            raise DingTalkApiError(
                f"HTTP{error.code}", f"{path} answered {error.code}", retryable=error.code >= 500 or error.code == 429
            ) from None
        except (OSError, TimeoutError) as error:
            raise DingTalkApiError("Unreachable", f"{path}: {type(error).__name__}", retryable=True) from None
        try:
            parsed = json.loads(text)
        except ValueError:
            parsed = None
        if not isinstance(parsed, Mapping):
            raise DingTalkApiError("BadAnswer", f"{path} answered something that is not a JSON object", retryable=True)
        return parsed


def _token_refused(answer: Mapping[str, Any]) -> bool:
    return answer.get("errcode") in TOKEN_CODES or str(answer.get("sub_code") or "") in TOKEN_SUB_CODES


def _refusal(answer: Mapping[str, Any]) -> DingTalkApiError:
    code = answer.get("errcode")
    sub_code = answer.get("sub_code")
    name = f"{code}/{sub_code}" if sub_code else str(code)
    message = str(answer.get("errmsg") or "no errmsg")[:200]
    return DingTalkApiError(name, message, retryable=code in TRANSIENT_CODES or _token_refused(answer))
