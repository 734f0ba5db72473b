"""What a function instance builds once: its settings, clients, mapping and logger, wired together.

Handlers call `get(context)` per invocation with their FC context; the first call reads the configuration
(shared.config, so a bad variable fails this first invocation, naming itself) and builds, later calls reuse.
Credentials are read per call through the latest context, so a token FC refreshed between invocations reaches
the SDK clients without rebuilding anything else. The DMS client, the person register and the provisioner are
built on first use: a cold webhook answering `POST /events` needs none of them, and must not import a DMS SDK,
the Tablestore SDK or pydantic.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING

from shared.config import ConfigError, Settings
from shared.contract.mobile import set_default_region
from shared.infra.credentials import RoleCredentials, resolve
from shared.infra.jsonlog import JsonLogger, get_logger
from shared.infra.retry import Deadline
from shared.messaging.client import Mns
from shared.messaging.formats import held, wrap

if TYPE_CHECKING:
    from shared.dms.client import DmsClient
    from shared.hr.dingtalk_api import DingTalkApi
    from shared.hr.source import HrSource
    from shared.identity.expansion import NoticeExpander
    from shared.identity.ram import RamDirectory
    from shared.lifecycle.breaker import LeaverBreaker
    from shared.lifecycle.convergence import Convergence
    from shared.lifecycle.outcome import RawEvent
    from shared.lifecycle.provisioner import Provisioner
    from shared.state.register import PersonRegister


class HoldQueue:
    """Where the mass-leaver breaker's held leaves wait, whole, for an operator (HOLD_QUEUE)."""

    def __init__(self, mns: Mns, queue: str) -> None:
        self.mns = mns
        self.queue = queue

    def hold(self, event: RawEvent, correlation_id: str, reason: str) -> None:
        document = json.loads(event) if isinstance(event, (bytes, str)) else event
        self.mns.send(self.queue, held(wrap(document, correlation_id), reason))


class Wiring:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.settings = Settings.from_env(environ)
        try:
            set_default_region(self.settings.hr.mobile_region)
        except ValueError as error:
            raise ConfigError("MOBILE_DEFAULT_REGION", str(error)) from None
        self._context: object | None = None
        self.function_name = self.settings.function_name
        self.log: JsonLogger = get_logger("dms-onboarding", function=self.function_name)
        self.mns = Mns(self.settings.mns_endpoint, self.credentials, check_md5=self.settings.mns_verify_md5)
        self._dms: DmsClient | None = None
        self._register: PersonRegister | None = None
        self._convergence: Convergence | None = None
        self._provisioner: Provisioner | None = None
        self._sources: dict[str, HrSource | None] = {}
        self._expander: NoticeExpander | None = None
        self._dingtalk: DingTalkApi | None = None
        self._ram: RamDirectory | None = None
        self._build_lock = threading.RLock()

    @property
    def dms(self) -> DmsClient:
        with self._build_lock:
            if self._dms is None:
                from shared.dms.client import DmsClient

                self._dms = DmsClient(self.settings.dms, self.credentials)
            return self._dms

    @property
    def register(self) -> PersonRegister:
        with self._build_lock:
            if self._register is None:
                from shared.state.register import PersonRegister

                self.settings.register.require()
                self._register = PersonRegister(self.settings.register, self.credentials)
            return self._register

    @property
    def breaker(self) -> LeaverBreaker:
        from shared.lifecycle.breaker import LeaverBreaker

        return LeaverBreaker(self.register, self.settings.leavers)

    @property
    def convergence(self) -> Convergence:
        with self._build_lock:
            if self._convergence is None:
                from shared.lifecycle.convergence import Convergence

                self._convergence = Convergence(
                    self.dms,
                    self.register,
                    self.breaker,
                    leaver_action=self.settings.leavers.action,
                    lease_seconds=self.settings.register.lease_seconds,
                )
            return self._convergence

    @property
    def provisioner(self) -> Provisioner:
        with self._build_lock:
            if self._provisioner is None:
                from shared.lifecycle.mapping import load_mapping
                from shared.lifecycle.provisioner import Provisioner

                holder = HoldQueue(self.mns, self.settings.hold_queue) if self.settings.hold_queue else None
                self._provisioner = Provisioner(
                    self.convergence,
                    load_mapping(self.settings.role_mapping_path),
                    self.log,
                    self.mns,
                    self.settings.result_topic,
                    self.settings.dms_unit or None,
                    holder,
                )
            return self._provisioner

    @property
    def expander(self) -> NoticeExpander:
        """What turns HR platforms' notices into canonical events in the worker (shared.identity)."""
        with self._build_lock:
            if self._expander is None:
                from shared.identity.aliases import HrAliases
                from shared.identity.expansion import NoticeExpander
                from shared.identity.uid import UidResolver

                hr = self.settings.hr
                aliases = HrAliases(self.register)
                ram = self._ram_directory if hr.uid.ram_user_template else None
                resolver = UidResolver(hr.uid, ram, aliases)
                self._expander = NoticeExpander(resolver, aliases, self._dingtalk_api, hr.mobile_region)
            return self._expander

    def _dingtalk_api(self) -> DingTalkApi:
        with self._build_lock:
            if self._dingtalk is None:
                from shared.hr.dingtalk_api import DingTalkApi

                config = self.settings.hr.dingtalk
                self._dingtalk = DingTalkApi(config.api_endpoint, config.app_key, config.app_secret)
            return self._dingtalk

    def _ram_directory(self) -> RamDirectory:
        with self._build_lock:
            if self._ram is None:
                from shared.identity.ram import RamDirectory

                dms = self.settings.dms
                self._ram = RamDirectory(
                    self.settings.hr.uid.ram_endpoint,
                    dms.region,
                    self.credentials,
                    connect_ms=dms.connect_timeout_ms,
                    read_ms=dms.read_timeout_ms,
                )
            return self._ram

    def hr_source(self, name: str) -> HrSource | None:
        """The adapter of an HR platform the deployment configures (shared.hr), built on its first push."""
        with self._build_lock:
            if name not in self._sources:
                self._sources[name] = _build_source(name, self.settings)
            return self._sources[name]

    def bind(self, context: object | None) -> Wiring:
        self._context = context
        return self

    def credentials(self) -> RoleCredentials:
        return resolve(self._context)


def _build_source(name: str, settings: Settings) -> HrSource | None:
    hr = settings.hr
    if name == "dingtalk" and hr.dingtalk.configured:
        from shared.hr.dingtalk import DingTalkSource

        return DingTalkSource(hr.dingtalk, hr.window_seconds)
    if name == "feishu" and hr.feishu.configured:
        from shared.hr.feishu import FeishuSource

        return FeishuSource(hr.feishu, hr.window_seconds)
    return None


def deadline(context: object | None, default_seconds: float = 60.0, margin_seconds: float = 2.0) -> Deadline:
    """When this invocation must be done: the function's timeout from now, less a margin to report back."""
    timeout = getattr(getattr(context, "function", None), "timeout", None)
    seconds = float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else default_seconds
    return Deadline.after(max(1.0, seconds - margin_seconds))


_wiring: Wiring | None = None
_lock = threading.Lock()


def get(context: object | None = None) -> Wiring:
    global _wiring
    with _lock:
        if _wiring is None:
            _wiring = Wiring()
        return _wiring.bind(context)


def reset() -> None:
    """A new wiring on next use, as after an FC cold start (tests and the local runtime use it)."""
    global _wiring
    with _lock:
        _wiring = None
