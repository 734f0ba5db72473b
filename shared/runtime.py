"""Everything a function instance builds once: settings from the environment, clients, mapping, logger.

Handlers call `instance()` per invocation with their FC context; the first call builds, later calls reuse.
Credentials are read per call through the latest context, so a token FC refreshed between invocations
reaches the SDK clients without rebuilding anything else.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from shared.credentials import RoleCredentials, resolve
from shared.jsonlog import JsonLogger, get_logger
from shared.mns import Mns, mns_endpoint
from shared.retry import Deadline

if TYPE_CHECKING:
    from shared.dms_client import DmsClient
    from shared.pipeline import Provisioner


@dataclass(frozen=True)
class Settings:
    """The functions' configuration; every name is an environment variable of the same name, upper-cased."""

    result_topic: str
    input_queue: str = ""
    dead_letter_queue: str = ""
    parking_queue: str = ""
    dms_unit: str = ""
    dry_run: bool = False

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        return cls(
            result_topic=env.get("RESULT_TOPIC", ""),
            input_queue=env.get("INPUT_QUEUE", ""),
            dead_letter_queue=env.get("DEAD_LETTER_QUEUE", ""),
            parking_queue=env.get("PARKING_QUEUE", ""),
            dms_unit=env.get("DMS_UNIT") or env.get("FC_REGION") or env.get("ALIBABA_CLOUD_REGION_ID", ""),
            dry_run=env.get("DRY_RUN", "").strip().lower() in ("1", "true", "yes"),
        )


class Instance:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        env = dict(os.environ if environ is None else environ)
        self._env = env
        self.settings = Settings.from_env(env)
        self._context: object | None = None
        self.function_name = env.get("FC_FUNCTION_NAME", "local")
        self.log: JsonLogger = get_logger("dms-onboarding", function=self.function_name)
        self.mns = Mns(mns_endpoint(env), self.credentials)
        self._dms: DmsClient | None = None
        self._provisioner: Provisioner | None = None
        self._build_lock = threading.RLock()

    @property
    def dms(self) -> DmsClient:
        """Built on first use, like the provisioner: a cold webhook answering `POST /events` never calls DMS."""
        with self._build_lock:
            if self._dms is None:
                from shared.dms_client import DmsClient, DmsSettings

                self._dms = DmsClient(DmsSettings.from_env(self._env), self.credentials)
            return self._dms

    @property
    def provisioner(self) -> Provisioner:
        """Built on first use: the webhook's enqueue path needs neither the role mapping nor the pipeline."""
        with self._build_lock:
            if self._provisioner is None:
                from shared.mapping import load_mapping
                from shared.pipeline import Provisioner

                self._provisioner = Provisioner(
                    self.dms,
                    load_mapping(),
                    self.log,
                    self.mns,
                    self.settings.result_topic,
                    self.settings.dms_unit or None,
                )
            return self._provisioner

    def bind(self, context: object | None) -> Instance:
        self._context = context
        return self

    def credentials(self) -> RoleCredentials:
        return resolve(self._context)


def deadline(context: object | None, default_seconds: float = 60.0, margin_seconds: float = 2.0) -> Deadline:
    """When this invocation must be done: the function's timeout from now, less a margin to report back."""
    timeout = getattr(getattr(context, "function", None), "timeout", None)
    seconds = float(timeout) if isinstance(timeout, (int, float)) and timeout > 0 else default_seconds
    return Deadline.after(max(1.0, seconds - margin_seconds))


_instance: Instance | None = None
_lock = threading.Lock()


def instance(context: object | None = None) -> Instance:
    global _instance
    with _lock:
        if _instance is None:
            _instance = Instance()
        return _instance.bind(context)


def reset_instance() -> None:
    """A new instance on next use, as after an FC cold start (tests and the local runtime use it)."""
    global _instance
    with _lock:
        _instance = None
