"""Settings of the local cloud: flags win over `LOCALCLOUD_*` environment variables, which win over defaults.

The defaults are fixed ports, a fixed STS credential and fixed DingTalk and Feishu app secrets, so that a person
can paste the printed variables into another shell; tests pass port 0 and get free ports.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Literal

DmsErrorStyle = Literal["body", "body-status", "gateway"]
DMS_ERROR_STYLES: tuple[str, ...] = ("body", "body-status", "gateway")
PORT_FIELDS = ("mns_port", "dms_port", "dms_enterprise_port", "tablestore_port", "dingtalk_port", "ram_port")
AES_KEY_SHAPE = re.compile(r"[A-Za-z0-9]{43}")


@dataclass
class LocalCloudConfig:
    host: str = "127.0.0.1"
    mns_port: int = 9911
    dms_port: int = 9912
    dms_enterprise_port: int = 9913
    tablestore_port: int = 9914
    dingtalk_port: int = 9915
    """DingTalk's open API: oapi.dingtalk.com's and api.dingtalk.com's paths on one port."""
    ram_port: int = 9916
    tablestore_instance: str = "localcloud"
    """The one Tablestore instance the emulator serves (the `x-ots-instancename` every request must carry)."""
    region: str = "cn-hangzhou"
    account_id: str = "1234567890123456"
    access_key_id: str = "STS.LocalCloudAccessKeyId"
    access_key_secret: str = "LocalCloudAccessKeySecret"  # noqa: S105 - a well-known local test value
    security_token: str = "LocalCloudSecurityToken"  # noqa: S105 - a well-known local test value
    """An STS token by default, because functions on FC only ever hold STS credentials."""
    dms_tid: int = 10001
    """The tenant that RegisterUser uses when the request names none."""
    dms_error_style: DmsErrorStyle = "body"
    """How DMS business errors travel; the docs show all three (see localcloud/dms/errors.py)."""
    dms_quota: float | None = None
    """Calls per second each DMS API admits account-wide (localcloud/dms/quota.py); None: no quota."""
    dingtalk_app_key: str = "dinglocalcloudapp001"
    dingtalk_app_secret: str = "LocalCloudDingTalkAppSecret"  # noqa: S105 - a well-known local test value
    dingtalk_corp_id: str = "dinglocalcloudcorp01"
    dingtalk_token: str = "LocalCloudDingTalkToken"  # noqa: S105 - a well-known local test value
    """The event subscription's Token: what DingTalk's push signatures are keyed on."""
    dingtalk_aes_key: str = "LocalCloudDingTalkEncodingAESKey0123456789a"
    """The event subscription's EncodingAESKey: 43 letters and digits, as DingTalk's console makes them."""
    feishu_encrypt_key: str = "LocalCloudFeishuEncryptKey"
    feishu_verification_token: str = "LocalCloudFeishuVerificationToken"  # noqa: S105 - a well-known local test value
    feishu_app_id: str = "cli_localcloud000001"
    fault_seed: int | None = None
    seed_file: str | None = None
    verbose: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError(f"host: {self.host} is not a loopback address; the local cloud listens on loopback only")
        if self.dms_error_style not in DMS_ERROR_STYLES:
            raise ValueError(f"dms_error_style: must be one of {', '.join(DMS_ERROR_STYLES)}")
        if self.dms_quota is not None and not self.dms_quota > 0:
            raise ValueError("dms_quota: must be a positive number of calls per second")
        if not AES_KEY_SHAPE.fullmatch(self.dingtalk_aes_key):
            raise ValueError("dingtalk_aes_key: must be 43 letters and digits, as DingTalk's EncodingAESKey is")

    @classmethod
    def ephemeral(cls, **overrides: object) -> LocalCloudConfig:
        """Free ports for every service: what tests and benchmarks use."""
        values: dict[str, object] = {name: 0 for name in PORT_FIELDS}
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> LocalCloudConfig:
        env = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for f in fields(cls):
            if f.name == "extra_env":
                continue
            raw = env.get(f"LOCALCLOUD_{f.name.upper()}")
            if raw is None:
                continue
            values[f.name] = _coerce(f.name, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)  # type: ignore[arg-type]


_INT_FIELDS = {*PORT_FIELDS, "dms_tid", "fault_seed"}


def _coerce(name: str, raw: str) -> object:
    if name in _INT_FIELDS:
        try:
            return int(raw)
        except ValueError:
            raise ValueError(f"LOCALCLOUD_{name.upper()}: {raw!r} is not an integer") from None
    if name == "verbose":
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if name == "dms_quota":
        try:
            return float(raw)
        except ValueError:
            raise ValueError(f"LOCALCLOUD_DMS_QUOTA: {raw!r} is not a number") from None
    return raw
