"""RAM users of the local account, as GetUser (2015-05-01) shows them.

Facts: GetUser takes a `UserName` of 1 to 64 letters, digits, `.`, `-`, `_` (the 2015-05-01 page; `@` is in the
newer IMS pattern only) and answers `User.{UserId, UserName, DisplayName, Email, MobilePhone, Comments,
CreateDate, UpdateDate, LastLoginDate}` with times in UTC `2015-01-23T12:33:18Z`; an unknown name is
`EntityNotExist.User`, 404. The UserId is what DMS takes as a user's `Uid` (hr-sources.md §4).

Choices: a user seeded without `user_id` gets a 16-digit one derived from the account and the name (stable across
resets, like real ids that never change); Email, MobilePhone and Comments are sent as empty strings when unset and
LastLoginDate is left out (nobody logs on to a local console); times are service time.
"""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from localcloud.clock import Clock
from localcloud.ram.errors import RamError

USER_NAME = re.compile(r"[A-Za-z0-9.\-_]+")
USER_ID = re.compile(r"[0-9]{16}")


def mask_mobile(mobile: str) -> str:
    if len(mobile) <= 5:
        return "*" * len(mobile)
    return mobile[:4] + "*" * (len(mobile) - 6) + mobile[-2:]


def utc(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def derived_user_id(account_id: str, user_name: str) -> str:
    digest = int(hashlib.sha256(f"{account_id}/{user_name}".encode()).hexdigest(), 16)
    return str(2 * 10**15 + digest % (8 * 10**15))


def check_user_name(user_name: str) -> None:
    if not user_name:
        raise RamError.MISSING_USER_NAME.error()
    if len(user_name) > 64:
        raise RamError.USER_NAME_LENGTH.error()
    if not USER_NAME.fullmatch(user_name):
        raise RamError.USER_NAME_INVALID_CHARS.error()


@dataclass
class RamUser:
    user_name: str
    user_id: str
    display_name: str
    email: str
    mobile_phone: str
    comments: str
    create_date: str
    update_date: str

    def data(self) -> dict[str, Any]:
        """GetUser's `User` object."""
        return {
            "UserId": self.user_id,
            "UserName": self.user_name,
            "DisplayName": self.display_name,
            "Email": self.email,
            "MobilePhone": self.mobile_phone,
            "Comments": self.comments,
            "CreateDate": self.create_date,
            "UpdateDate": self.update_date,
        }

    def public(self) -> dict[str, Any]:
        return {
            "user_name": self.user_name,
            "user_id": self.user_id,
            "display_name": self.display_name,
            "email": self.email,
            "mobile_phone": mask_mobile(self.mobile_phone),
            "comments": self.comments,
            "create_date": self.create_date,
            "update_date": self.update_date,
        }


class RamBackend:
    def __init__(self, clock: Clock, account_id: str) -> None:
        self.clock = clock
        self.account_id = account_id
        self._lock = threading.Lock()
        self._users: dict[str, RamUser] = {}

    def reset(self) -> None:
        with self._lock:
            self._users.clear()

    def put_user(self, item: Mapping[str, object]) -> RamUser:
        """Add or replace a user from a seed item; ValueError naming the field that is wrong."""
        fields = {name: _text(item, name) for name in ("user_name", "user_id", "display_name", "email", "comments")}
        fields["mobile_phone"] = _text(item, "mobile_phone")
        name = fields["user_name"]
        if not name or len(name) > 64 or not USER_NAME.fullmatch(name):
            raise ValueError("user_name: 1 to 64 letters, digits, '.', '-' or '_'")
        user_id = fields["user_id"] or derived_user_id(self.account_id, name)
        if not USER_ID.fullmatch(user_id):
            raise ValueError("user_id: must be 16 digits")
        now = utc(self.clock.now())
        with self._lock:
            existing = self._users.get(name)
            user = RamUser(
                user_name=name,
                user_id=user_id,
                display_name=fields["display_name"] or name,
                email=fields["email"],
                mobile_phone=fields["mobile_phone"],
                comments=fields["comments"],
                create_date=existing.create_date if existing else now,
                update_date=now,
            )
            self._users[name] = user
        return user

    def remove_user(self, user_name: str) -> bool:
        with self._lock:
            return self._users.pop(user_name, None) is not None

    def get_user(self, user_name: str) -> RamUser:
        check_user_name(user_name)
        with self._lock:
            user = self._users.get(user_name)
        if user is None:
            raise RamError.ENTITY_NOT_EXIST_USER.error()
        return user

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"account_id": self.account_id, "users": [u.public() for u in self._users.values()]}


def _text(item: Mapping[str, object], name: str) -> str:
    value = item.get(name)
    if value is None:
        return ""
    if not isinstance(value, (str, int)) or isinstance(value, bool):
        raise ValueError(f"{name}: must be a string")
    return str(value)
