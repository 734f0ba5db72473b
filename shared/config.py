"""Every environment variable of the README's configuration table, read once into frozen settings.

A function instance reads its configuration at cold start (`Settings.from_env`), so a bad value fails the first
invocation with a message naming the variable and the reason, instead of a batch hours later. Nothing else in
`shared/` reads `os.environ` for configuration. The role's credentials are the one exception, and on purpose:
FC rotates them, so they are read per call (shared.infra.credentials).

The names are the same in s.yaml, the local runtime and the README; the defaults are the README's.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.infra.retry import RetryPolicy

DEFAULT_REGION = "cn-hangzhou"
DEFAULT_ENTERPRISE_ENDPOINT = "dms-enterprise.aliyuncs.com"
_TRUE = frozenset({"1", "true", "yes"})
_FALSE = frozenset({"0", "false", "no"})


class ConfigError(ValueError):
    """A variable with a value the product cannot use; the message starts with the variable's name."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


def truthy(value: str | None) -> bool:
    """The one reading of a yes/no text, for variables and query parameters alike."""
    return (value or "").strip().lower() in _TRUE


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ConfigError(name, f"{raw!r} is not true or false")


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 1) -> int:
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"{raw!r} is not an integer") from None
    if value < minimum:
        raise ConfigError(name, "must be positive" if minimum == 1 else f"must be at least {minimum}")
    return value


def _codes(env: Mapping[str, str], name: str) -> frozenset[str]:
    return frozenset(code.strip() for code in env.get(name, "").split(",") if code.strip())


def region(env: Mapping[str, str]) -> str:
    return env.get("ALIBABA_CLOUD_REGION_ID") or env.get("FC_REGION") or DEFAULT_REGION


def mns_endpoint(env: Mapping[str, str]) -> str:
    if env.get("MNS_ENDPOINT"):
        return env["MNS_ENDPOINT"]
    account = env.get("FC_ACCOUNT_ID") or env.get("ALIBABA_CLOUD_ACCOUNT_ID")
    where = env.get("FC_REGION") or env.get("ALIBABA_CLOUD_REGION_ID")
    if not account or not where:
        raise ConfigError("MNS_ENDPOINT", "not set, and FC_ACCOUNT_ID / FC_REGION are not there to build it from")
    return f"https://{account}.mns.{where}.aliyuncs.com"


def role_mapping_path(env: Mapping[str, str]) -> str | None:
    """ROLE_MAPPING_PATH when set and not empty; None means the bundled mapping."""
    return env.get("ROLE_MAPPING_PATH") or None


@dataclass(frozen=True)
class DmsClientConfig:
    """How the DMS client reaches DMS and how hard it tries."""

    region: str = DEFAULT_REGION
    enterprise_endpoint: str = DEFAULT_ENTERPRISE_ENDPOINT
    dms_endpoint: str = ""
    """Empty means the SDK's own regional endpoint, dms.<region>.aliyuncs.com."""
    connect_timeout_ms: int = 2000
    read_timeout_ms: int = 5000
    qps: float = 10.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    already_codes: frozenset[str] = frozenset()
    """DMS_ALREADY_CODES: more error codes that mean the effect already holds."""
    transient_codes: frozenset[str] = frozenset()
    """DMS_TRANSIENT_CODES: more error codes worth retrying."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> DmsClientConfig:
        env = os.environ if environ is None else environ
        return cls(
            region=region(env),
            enterprise_endpoint=env.get("DMS_ENTERPRISE_ENDPOINT") or cls.enterprise_endpoint,
            dms_endpoint=env.get("DMS_ENDPOINT", ""),
            connect_timeout_ms=_int(env, "DMS_CONNECT_TIMEOUT_MS", cls.connect_timeout_ms),
            read_timeout_ms=_int(env, "DMS_READ_TIMEOUT_MS", cls.read_timeout_ms),
            qps=float(_int(env, "DMS_QPS", int(cls.qps))),
            retry=RetryPolicy(max_attempts=_int(env, "DMS_MAX_ATTEMPTS", RetryPolicy.max_attempts)),
            already_codes=_codes(env, "DMS_ALREADY_CODES"),
            transient_codes=_codes(env, "DMS_TRANSIENT_CODES"),
        )


@dataclass(frozen=True)
class Settings:
    """One function instance's configuration; each field is the environment variable of its name, upper-cased."""

    mns_endpoint: str
    result_topic: str = ""
    input_queue: str = ""
    dead_letter_queue: str = ""
    parking_queue: str = ""
    dms_unit: str = ""
    """DMS_UNIT, else the region: the unit when neither the event nor the mapping names one."""
    dry_run: bool = False
    webhook_secret: str = ""
    worker_concurrency: int = 8
    max_replays: int = 3
    role_mapping_path: str | None = None
    mns_verify_md5: bool = True
    function_name: str = "local"
    dms: DmsClientConfig = field(default_factory=DmsClientConfig)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings, or a ConfigError naming the first variable that is wrong."""
        env = os.environ if environ is None else environ
        return cls(
            mns_endpoint=mns_endpoint(env),
            result_topic=env.get("RESULT_TOPIC", ""),
            input_queue=env.get("INPUT_QUEUE", ""),
            dead_letter_queue=env.get("DEAD_LETTER_QUEUE", ""),
            parking_queue=env.get("PARKING_QUEUE", ""),
            dms_unit=env.get("DMS_UNIT") or env.get("FC_REGION") or env.get("ALIBABA_CLOUD_REGION_ID", ""),
            dry_run=truthy(env.get("DRY_RUN")),
            webhook_secret=env.get("WEBHOOK_SECRET", ""),
            worker_concurrency=min(64, _int(env, "WORKER_CONCURRENCY", cls.worker_concurrency)),
            max_replays=_int(env, "MAX_REPLAYS", cls.max_replays, minimum=0),
            role_mapping_path=role_mapping_path(env),
            mns_verify_md5=_flag(env, "MNS_VERIFY_MD5", default=True),
            function_name=env.get("FC_FUNCTION_NAME", "local"),
            dms=DmsClientConfig.from_env(env),
        )
