"""Settings of the local cloud: flags win over `LOCALCLOUD_*` environment variables, which win over defaults.

The defaults are fixed ports and a fixed STS credential so that a person can paste the printed variables
into another shell; tests pass port 0 and get free ports.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Literal

DmsErrorStyle = Literal["body", "body-status", "gateway"]
DMS_ERROR_STYLES: tuple[str, ...] = ("body", "body-status", "gateway")


@dataclass
class LocalCloudConfig:
    host: str = "127.0.0.1"
    mns_port: int = 9911
    dms_port: int = 9912
    dms_enterprise_port: int = 9913
    tablestore_port: int = 9914
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

    @classmethod
    def ephemeral(cls, **overrides: object) -> LocalCloudConfig:
        """Free ports for every service: what tests and benchmarks use."""
        values: dict[str, object] = {"mns_port": 0, "dms_port": 0, "dms_enterprise_port": 0, "tablestore_port": 0}
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


_INT_FIELDS = {"mns_port", "dms_port", "dms_enterprise_port", "tablestore_port", "dms_tid", "fault_seed"}


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
