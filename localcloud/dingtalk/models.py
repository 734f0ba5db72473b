"""DingTalk's organisation as the open API shows it to one internal app: people, and the app's access tokens.

Facts (sources in errors.py and hr-sources.md §1.2): an app exchanges its AppKey and AppSecret for an access token
of 7200 seconds, by the old `GET /gettoken` or the new `POST /v1.0/oauth2/accessToken`; asking again while a token lives
returns the same token with its lifetime renewed (有效期内重复获取返回相同结果并自动续期: the old server doc,
ddtalk/dingTalkDoc `_server.md`). `topapi/v2/user/get` answers a person of the organisation; once they left, they are
not found (60121).

Choices where nothing was found, kept here:
- Both token routes hand out the same token (one app, one token); whether DingTalk's old and new tokens are
  interchangeable is not documented.
- A token past its lifetime is remembered as expired (42001) rather than unknown (40014), so a client's refresh
  path can be tested apart from a wrong token; a reset forgets every token.
- `unionid` is derived from the userid (stable across resets); `dept_id_list` defaults to `[1]` (the root
  department); `active` is true, `admin` and `boss` false unless seeded; `state_code` is 86 and `mobile` is kept as
  given (DingTalk shows mainland numbers without the country code).
- Token lifetime is service time, so a test moves the clock instead of waiting two hours.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from localcloud.clock import Clock

TOKEN_SECONDS = 7200
TokenState = Literal["valid", "expired", "unknown"]


def mask_mobile(mobile: str) -> str:
    """Enough to recognise a number in a test (the first three and last two digits), never the whole of it."""
    if len(mobile) <= 5:
        return "*" * len(mobile)
    return mobile[:3] + "*" * (len(mobile) - 5) + mobile[-2:]


@dataclass
class DingTalkUser:
    userid: str
    name: str
    mobile: str = ""
    email: str = ""
    org_email: str = ""
    title: str = ""
    job_number: str = ""
    dept_id_list: list[int] = field(default_factory=lambda: [1])
    extension: dict[str, str] = field(default_factory=dict)
    """Custom profile fields; the API sends them as a JSON string."""
    hired_date: int | None = None
    """Milliseconds since the epoch, as the API gives it."""
    active: bool = True
    admin: bool = False
    boss: bool = False
    manager_userid: str = ""
    work_place: str = ""
    remark: str = ""
    telephone: str = ""

    @property
    def unionid(self) -> str:
        return hashlib.sha256(f"unionid:{self.userid}".encode()).hexdigest()[:22]

    def result(self) -> dict[str, Any]:
        """`result` of topapi/v2/user/get, in its field names and types."""
        out: dict[str, Any] = {
            "userid": self.userid,
            "unionid": self.unionid,
            "name": self.name,
            "avatar": "",
            "state_code": "86",
            "mobile": self.mobile,
            "hide_mobile": False,
            "telephone": self.telephone,
            "job_number": self.job_number,
            "title": self.title,
            "email": self.email,
            "org_email": self.org_email,
            "work_place": self.work_place,
            "remark": self.remark,
            "dept_id_list": list(self.dept_id_list),
            "dept_order_list": [{"dept_id": dept, "order": 0} for dept in self.dept_id_list],
            "extension": json.dumps(self.extension, ensure_ascii=False, separators=(",", ":")),
            "active": self.active,
            "real_authed": True,
            "senior": False,
            "admin": self.admin,
            "boss": self.boss,
            "exclusive_account": False,
            "leader_in_dept": [{"dept_id": dept, "leader": False} for dept in self.dept_id_list],
            "role_list": [],
        }
        if self.manager_userid:
            out["manager_userid"] = self.manager_userid
        if self.hired_date is not None:
            out["hired_date"] = self.hired_date
        return out

    def public(self) -> dict[str, Any]:
        """What the control plane shows: the mobile masked."""
        return {
            "userid": self.userid,
            "unionid": self.unionid,
            "name": self.name,
            "mobile": mask_mobile(self.mobile),
            "email": self.email,
            "org_email": self.org_email,
            "title": self.title,
            "job_number": self.job_number,
            "dept_id_list": list(self.dept_id_list),
            "extension": dict(self.extension),
            "hired_date": self.hired_date,
            "active": self.active,
            "admin": self.admin,
            "boss": self.boss,
        }


class TokenRefusedError(Exception):
    """The AppKey or AppSecret is not the app's."""


class DingTalkBackend:
    def __init__(self, clock: Clock, app_key: str, app_secret: str, corp_id: str) -> None:
        self.clock = clock
        self.app_key = app_key
        self.app_secret = app_secret
        self.corp_id = corp_id
        self._lock = threading.Lock()
        self._users: dict[str, DingTalkUser] = {}
        self._tokens: dict[str, float] = {}
        """Every token issued since the last reset, with its expiry in service time."""
        self._current = ""
        self._events: dict[str, bytes] = {}
        """Pushed events by event id, so a push naming an id again repeats exactly the same event."""

    def reset(self) -> None:
        with self._lock:
            self._users.clear()
            self._tokens.clear()
            self._current = ""
            self._events.clear()

    def issue_token(self, app_key: str, app_secret: str) -> tuple[str, int]:
        """(token, seconds it lives); the live token again, renewed, if there is one."""
        if not (
            hmac.compare_digest(app_key.encode("utf-8"), self.app_key.encode("utf-8"))
            and hmac.compare_digest(app_secret.encode("utf-8"), self.app_secret.encode("utf-8"))
        ):
            raise TokenRefusedError
        now = self.clock.now()
        with self._lock:
            if not self._current or self._tokens[self._current] <= now:
                self._current = secrets.token_hex(16)
            self._tokens[self._current] = now + TOKEN_SECONDS
            return self._current, TOKEN_SECONDS

    def token_state(self, token: str) -> TokenState:
        with self._lock:
            expires = self._tokens.get(token)
        if expires is None:
            return "unknown"
        return "valid" if expires > self.clock.now() else "expired"

    def put_user(self, user: DingTalkUser) -> DingTalkUser:
        with self._lock:
            self._users[user.userid] = user
        return user

    def remove_user(self, userid: str) -> bool:
        with self._lock:
            return self._users.pop(userid, None) is not None

    def get_user(self, userid: str) -> DingTalkUser | None:
        with self._lock:
            return self._users.get(userid)

    def remember_event(self, event_id: str, plaintext: bytes) -> bytes:
        """The plaintext pushed before under this id, else this one (now remembered)."""
        with self._lock:
            return self._events.setdefault(event_id, plaintext)

    def recall_event(self, event_id: str) -> bytes | None:
        with self._lock:
            return self._events.get(event_id)

    def snapshot(self) -> dict[str, Any]:
        now = self.clock.now()
        with self._lock:
            users = [u.public() for u in self._users.values()]
            live = sum(1 for expires in self._tokens.values() if expires > now)
            expired = len(self._tokens) - live
            events = len(self._events)
        return {
            "corp_id": self.corp_id,
            "app_key": self.app_key,
            "users": users,
            "tokens": {"live": live, "expired": expired},
            "events_pushed": events,
        }


def user_from(item: Mapping[str, object]) -> DingTalkUser:
    """A person from a seed item or a control-plane body; ValueError naming the field that is wrong."""

    def text(name: str, required: bool = False) -> str:
        value = item.get(name)
        if value is None:
            if required:
                raise ValueError(f"{name}: required")
            return ""
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise ValueError(f"{name}: must be a string")
        return str(value)

    def flag(name: str, default: bool) -> bool:
        value = item.get(name, default)
        if not isinstance(value, bool):
            raise ValueError(f"{name}: must be true or false")
        return value

    departments = item.get("dept_id_list", [1])
    if not isinstance(departments, list) or not all(
        isinstance(d, int) and not isinstance(d, bool) for d in departments
    ):
        raise ValueError("dept_id_list: must be a list of integers")
    extension = item.get("extension", {})
    if isinstance(extension, str):
        try:
            extension = json.loads(extension or "{}")
        except json.JSONDecodeError:
            raise ValueError("extension: a string must hold a JSON object") from None
    if not isinstance(extension, dict):
        raise ValueError("extension: must be an object of custom fields")
    hired = item.get("hired_date")
    if hired is not None and (not isinstance(hired, int) or isinstance(hired, bool)):
        raise ValueError("hired_date: must be milliseconds since the epoch")
    userid = text("userid", required=True)
    if not userid:
        raise ValueError("userid: must not be empty")
    return DingTalkUser(
        userid=userid,
        name=text("name", required=True),
        mobile=text("mobile"),
        email=text("email"),
        org_email=text("org_email"),
        title=text("title"),
        job_number=text("job_number"),
        dept_id_list=list(departments),
        extension={str(k): str(v) for k, v in extension.items()},
        hired_date=hired,
        active=flag("active", True),
        admin=flag("admin", False),
        boss=flag("boss", False),
        manager_userid=text("manager_userid"),
        work_place=text("work_place"),
        remark=text("remark"),
        telephone=text("telephone"),
    )
