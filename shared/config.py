"""Every environment variable of the README's configuration table, read once into frozen settings.

A function instance reads its configuration at cold start (`Settings.from_env`), so a bad value fails the first
invocation with a message naming the variable and the reason, instead of a batch hours later. Nothing else in
`shared/` reads `os.environ` for configuration. The role's credentials are the one exception, and on purpose:
FC rotates them, so they are read per call (shared.infra.credentials).

The names are the same in s.yaml, the local runtime and the README; the defaults are the README's.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from shared.infra.retry import RetryPolicy

DEFAULT_REGION = "cn-hangzhou"
DEFAULT_ENTERPRISE_ENDPOINT = "dms-enterprise.aliyuncs.com"
DEFAULT_REGISTER_TABLE = "dms_onboarding_people"
LEAVER_ACTIONS = ("disable", "delete")
RECONCILE_MODES = ("report", "repair")
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


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise ConfigError(name, f"{raw!r} is not one of {', '.join(choices)}")
    return raw


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
    absent_codes: frozenset[str] = frozenset()
    """DMS_ABSENT_CODES: more error codes that mean "no such user"."""

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
            absent_codes=_codes(env, "DMS_ABSENT_CODES"),
        )


@dataclass(frozen=True)
class RegisterConfig:
    """Where the person register lives (Tablestore) and how long a lease on one person lasts."""

    endpoint: str = ""
    """Empty until an instance is named: https://{instance}.{region}.ots.aliyuncs.com is built from it."""
    instance: str = ""
    table: str = DEFAULT_REGISTER_TABLE
    region: str = DEFAULT_REGION
    lease_seconds: int = 60
    timeout_seconds: float = 5.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> RegisterConfig:
        env = os.environ if environ is None else environ
        where = region(env)
        instance = env.get("TABLESTORE_INSTANCE", "").strip()
        endpoint = env.get("TABLESTORE_ENDPOINT", "").strip()
        if not endpoint and instance:
            endpoint = f"https://{instance}.{where}.ots.aliyuncs.com"
        return cls(
            endpoint=endpoint,
            instance=instance,
            table=env.get("REGISTER_TABLE", "").strip() or DEFAULT_REGISTER_TABLE,
            region=where,
            lease_seconds=_int(env, "LEASE_SECONDS", cls.lease_seconds, minimum=5),
        )

    def require(self) -> None:
        """The register is needed now: a deployment that names no instance fails here, naming the variable."""
        if not self.instance:
            raise ConfigError("TABLESTORE_INSTANCE", "not set: the person register needs a Tablestore instance")


@dataclass(frozen=True)
class LeaverPolicy:
    """What a leave does in DMS, and the mass-leaver breaker that holds leavers past a rate."""

    action: str = "disable"
    """LEAVER_ACTION: `disable` (DisableUser, reversible) or `delete` (DeleteUser)."""
    limit: int = 10
    """LEAVER_LIMIT: leavers applied within the window before further ones are held."""
    window_seconds: int = 3600
    """LEAVER_WINDOW_SECONDS."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LeaverPolicy:
        env = os.environ if environ is None else environ
        return cls(
            action=_choice(env, "LEAVER_ACTION", LEAVER_ACTIONS, cls.action),
            limit=_int(env, "LEAVER_LIMIT", cls.limit, minimum=0),
            window_seconds=_int(env, "LEAVER_WINDOW_SECONDS", cls.window_seconds),
        )


DEFAULT_DINGTALK_API = "https://oapi.dingtalk.com"
DEFAULT_RAM_ENDPOINT = "ram.aliyuncs.com"
DEFAULT_HR_WINDOW_SECONDS = 8 * 3600
"""Feishu retries a push for about 7.1 hours; whether a retry carries a new timestamp is not confirmed, so the
window is wider than that: a retried push must not be refused as stale and lost."""
TEMPLATE_FIELDS = ("userid", "email", "email_local", "job_number", "mobile_local", "name")
"""What RAM_USER_TEMPLATE may use: the HR person's fields (shared.hr.person.HrPerson.template_values)."""
_TEMPLATE_FIELD = re.compile(r"{([^{}]*)}")


@dataclass(frozen=True)
class DingTalkConfig:
    """An internal app's HTTP event subscription (the console's Token, aes_key, AppKey and AppSecret)."""

    token: str = ""
    aes_key: str = ""
    app_key: str = ""
    app_secret: str = ""
    api_endpoint: str = DEFAULT_DINGTALK_API

    @property
    def configured(self) -> bool:
        return bool(self.token and self.aes_key and self.app_key)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DingTalkConfig:
        aes_key = env.get("DINGTALK_AES_KEY", "").strip()
        if aes_key and not re.fullmatch(r"[A-Za-z0-9]{43}", aes_key):
            raise ConfigError("DINGTALK_AES_KEY", "must be the 43 letters and digits of the EncodingAESKey")
        config = cls(
            token=env.get("DINGTALK_TOKEN", "").strip(),
            aes_key=aes_key,
            app_key=env.get("DINGTALK_APP_KEY", "").strip(),
            app_secret=env.get("DINGTALK_APP_SECRET", "").strip(),
            api_endpoint=(env.get("DINGTALK_API_ENDPOINT") or "").strip().rstrip("/") or DEFAULT_DINGTALK_API,
        )
        values = {"DINGTALK_TOKEN": config.token, "DINGTALK_AES_KEY": aes_key, "DINGTALK_APP_KEY": config.app_key}
        named = [name for name, value in values.items() if value]
        if named and len(named) < len(values):
            missing = next(name for name, value in values.items() if not value)
            raise ConfigError(missing, f"needed with {', '.join(named)}: DingTalk pushes cannot be checked without it")
        return config


@dataclass(frozen=True)
class FeishuConfig:
    """A Feishu/Lark app's event subscription: the Encrypt Key (optional in Feishu, recommended) and the
    Verification Token (required here: without an Encrypt Key it is all that authenticates a push)."""

    encrypt_key: str = ""
    verification_token: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.verification_token)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FeishuConfig:
        config = cls(
            encrypt_key=env.get("FEISHU_ENCRYPT_KEY", "").strip(),
            verification_token=env.get("FEISHU_VERIFICATION_TOKEN", "").strip(),
        )
        if config.encrypt_key and not config.verification_token:
            raise ConfigError("FEISHU_VERIFICATION_TOKEN", "needed with FEISHU_ENCRYPT_KEY: Feishu sends both")
        return config


@dataclass(frozen=True)
class UidConfig:
    """How an HR person becomes an Alibaba Cloud UID (shared.identity.uid): a custom field, a RAM user name template."""

    fields: tuple[str, ...] = ()
    """UID_FIELD, comma-separated: DingTalk `extension` keys and Feishu `custom_attrs` ids holding the UID."""
    ram_user_template: str = ""
    """RAM_USER_TEMPLATE, e.g. `{email_local}`: the RAM user name GetUser is asked for."""
    ram_endpoint: str = DEFAULT_RAM_ENDPOINT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> UidConfig:
        template = env.get("RAM_USER_TEMPLATE", "").strip()
        names = _TEMPLATE_FIELD.findall(template)
        if template and not names:
            raise ConfigError("RAM_USER_TEMPLATE", "names no field: use {" + "}, {".join(TEMPLATE_FIELDS) + "}")
        unknown = [name for name in names if name not in TEMPLATE_FIELDS]
        if unknown:
            raise ConfigError("RAM_USER_TEMPLATE", f"{{{unknown[0]}}} is not one of {{{'}, {'.join(TEMPLATE_FIELDS)}}}")
        return cls(
            fields=tuple(name.strip() for name in env.get("UID_FIELD", "").split(",") if name.strip()),
            ram_user_template=template,
            ram_endpoint=(env.get("RAM_ENDPOINT") or "").strip() or DEFAULT_RAM_ENDPOINT,
        )


@dataclass(frozen=True)
class HrSettings:
    """The HR platforms' event subscriptions and how their people are matched to UIDs (issue 14)."""

    dingtalk: DingTalkConfig = field(default_factory=DingTalkConfig)
    feishu: FeishuConfig = field(default_factory=FeishuConfig)
    uid: UidConfig = field(default_factory=UidConfig)
    window_seconds: int = DEFAULT_HR_WINDOW_SECONDS
    """HR_TIMESTAMP_WINDOW_SECONDS: how far a platform push's timestamp may be from now."""
    mobile_region: str = "CN"
    """MOBILE_DEFAULT_REGION: the region of a mobile written without a country code."""

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> HrSettings:
        env = os.environ if environ is None else environ
        region_code = (env.get("MOBILE_DEFAULT_REGION") or "CN").strip().upper()
        if not re.fullmatch(r"[A-Z]{2}", region_code):
            raise ConfigError("MOBILE_DEFAULT_REGION", f"{region_code!r} is not a two-letter region code (CN, US, SG)")
        return cls(
            dingtalk=DingTalkConfig.from_env(env),
            feishu=FeishuConfig.from_env(env),
            uid=UidConfig.from_env(env),
            window_seconds=_int(env, "HR_TIMESTAMP_WINDOW_SECONDS", DEFAULT_HR_WINDOW_SECONDS),
            mobile_region=region_code,
        )


@dataclass(frozen=True)
class Settings:
    """One function instance's configuration; each field is the environment variable of its name, upper-cased."""

    mns_endpoint: str
    result_topic: str = ""
    input_queue: str = ""
    dead_letter_queue: str = ""
    parking_queue: str = ""
    hold_queue: str = ""
    """HOLD_QUEUE: where leavers held by the breaker wait for an operator."""
    dms_unit: str = ""
    """DMS_UNIT, else the region: the unit when neither the event nor the mapping names one."""
    dry_run: bool = False
    webhook_secret: str = ""
    worker_concurrency: int = 8
    max_replays: int = 3
    role_mapping_path: str | None = None
    mns_verify_md5: bool = True
    function_name: str = "local"
    reconcile_mode: str = "repair"
    """RECONCILE_MODE: `repair` makes DMS match the register; `report` only reports the drift."""
    dms: DmsClientConfig = field(default_factory=DmsClientConfig)
    register: RegisterConfig = field(default_factory=RegisterConfig)
    leavers: LeaverPolicy = field(default_factory=LeaverPolicy)
    hr: HrSettings = field(default_factory=HrSettings)

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
            hold_queue=env.get("HOLD_QUEUE", ""),
            dms_unit=env.get("DMS_UNIT") or env.get("FC_REGION") or env.get("ALIBABA_CLOUD_REGION_ID", ""),
            dry_run=truthy(env.get("DRY_RUN")),
            webhook_secret=env.get("WEBHOOK_SECRET", ""),
            worker_concurrency=min(64, _int(env, "WORKER_CONCURRENCY", cls.worker_concurrency)),
            max_replays=_int(env, "MAX_REPLAYS", cls.max_replays, minimum=0),
            role_mapping_path=role_mapping_path(env),
            mns_verify_md5=_flag(env, "MNS_VERIFY_MD5", default=True),
            function_name=env.get("FC_FUNCTION_NAME", "local"),
            reconcile_mode=_choice(env, "RECONCILE_MODE", RECONCILE_MODES, cls.reconcile_mode),
            dms=DmsClientConfig.from_env(env),
            register=RegisterConfig.from_env(env),
            leavers=LeaverPolicy.from_env(env),
            hr=HrSettings.from_env(env),
        )
