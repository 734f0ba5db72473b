"""`python -m localcloud dev`: the local cloud, seeded, with every function of s.yaml running on it.

Functions run from source by default (functions/<resource>/ with the repository on the import path), so a
change shows on the next invocation's cold start; `--built` runs the packages `make build` produced instead.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable, Mapping
from pathlib import Path
from types import TracebackType

from localcloud.app import LocalCloud
from localcloud.config import LocalCloudConfig
from localcloud.fc.runtime import LocalFunctionRuntime
from localcloud.fc.spec import FunctionSpec, load
from localcloud.fc.triggers.mns import MnsAccount, is_mns_trigger, source_queue

PRODUCT_VARIABLES = (
    "INPUT_QUEUE",
    "RESULT_TOPIC",
    "DEAD_LETTER_QUEUE",
    "PARKING_QUEUE",
    "HOLD_QUEUE",
    "REGISTER_TABLE",
    "UID_FIELD",
    "RAM_USER_TEMPLATE",
    "MOBILE_DEFAULT_REGION",
    "HR_TIMESTAMP_WINDOW_SECONDS",
)
"""Printed as s.yaml sets them for the function the input queue triggers (the worker)."""
CLIENT_VARIABLES = (
    "MNS_ENDPOINT",
    "DMS_ENDPOINT",
    "DMS_ENTERPRISE_ENDPOINT",
    "TABLESTORE_ENDPOINT",
    "TABLESTORE_INSTANCE",
    "ALIBABA_CLOUD_ACCESS_KEY_ID",
    "ALIBABA_CLOUD_ACCESS_KEY_SECRET",
    "ALIBABA_CLOUD_SECURITY_TOKEN",
    "ALIBABA_CLOUD_REGION_ID",
    "DINGTALK_API_ENDPOINT",
    "RAM_ENDPOINT",
    "DINGTALK_TOKEN",
    "DINGTALK_AES_KEY",
    "DINGTALK_APP_KEY",
    "DINGTALK_APP_SECRET",
    "FEISHU_ENCRYPT_KEY",
    "FEISHU_VERIFICATION_TOKEN",
)
LOCAL_DEFAULTS = {"UID_FIELD": "aliyun_uid,C-7000000000000000001", "RAM_USER_TEMPLATE": "{email_local}"}
"""How the local organisations (deploy/local-seed.json) hold UIDs: DingTalk's `aliyun_uid` extension field,
Feishu's custom attribute C-7000000000000000001, and RAM users named after the email's local part. A variable
set in the shell wins."""


class DevEnvironment:
    def __init__(
        self,
        root: Path,
        config: LocalCloudConfig | None = None,
        s_yaml: str = "s.yaml",
        seed_file: str | None = "deploy/local-seed.json",
        built: bool = False,
        webhook_secret: str | None = None,
        timers: bool = True,
        log: Callable[[str], None] | None = None,
        extra_env: Mapping[str, str] | None = None,
        tasks: Mapping[str, int] | None = None,
    ) -> None:
        self.root = root
        self.cloud = LocalCloud(config or LocalCloudConfig.ephemeral())
        self.webhook_secret = webhook_secret or os.environ.get("WEBHOOK_SECRET") or secrets.token_hex(16)
        environ = {
            **LOCAL_DEFAULTS,
            **os.environ,
            "WEBHOOK_SECRET": self.webhook_secret,
            "REGION": self.cloud.config.region,
        }
        config_values = {"AccountID": self.cloud.config.account_id}
        self.functions = load(root / s_yaml, environ=environ, config=config_values)
        self.seed_file = root / seed_file if seed_file else None
        self.built = built
        self.timers = timers
        self.log = log
        self.extra_env = dict(extra_env or {})
        self.tasks = dict(tasks or {})
        self.runtime: LocalFunctionRuntime | None = None

    def start(self) -> DevEnvironment:
        self.cloud.start()
        if self.seed_file is not None:
            self.cloud.apply_seed(json.loads(self.seed_file.read_text(encoding="utf-8")))
        cloud_env = {k: v for k, v in self.cloud.client_env().items() if k in CLIENT_VARIABLES}
        cloud_env.update(self.extra_env)
        source_map = None if self.built else {f.resource: self.root / "functions" / f.resource for f in self.functions}
        self.runtime = LocalFunctionRuntime(
            self.functions,
            self.root,
            cloud_env,
            source_map,
            log=self.log,
            region=self.cloud.config.region,
            account_id=self.cloud.config.account_id,
            timers=self.timers,
            tasks=self.tasks,
        )
        self.runtime.start(self.mns_account)
        self.cloud.functions = self.runtime
        return self

    def mns_account(self) -> MnsAccount:
        """A new MNS client on the local cloud, with its credentials: one per queue poller."""
        from mns.account import Account

        cfg = self.cloud.config
        account: MnsAccount = Account(
            self.cloud.mns_endpoint, cfg.access_key_id, cfg.access_key_secret, cfg.security_token
        )
        return account

    def stop(self) -> None:
        if self.runtime is not None:
            self.runtime.stop()
        self.cloud.stop()

    def __enter__(self) -> DevEnvironment:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """What a client needs, one NAME=value a line when printed."""
        assert self.runtime is not None
        env = self.cloud.client_env()
        worker = queue_worker(self.functions)
        worker_env = worker.environment if worker is not None else {}
        env["WEBHOOK_URL"] = self.runtime.http_urls.get("webhook", "")
        env["WEBHOOK_SECRET"] = self.webhook_secret
        for name in PRODUCT_VARIABLES:
            env[name] = str(worker_env.get(name, ""))
        return env


def queue_worker(functions: list[FunctionSpec]) -> FunctionSpec | None:
    """The function its input queue triggers: the one whose MNS trigger reads the queue its own INPUT_QUEUE names,
    else the first function an MNS queue triggers; None when s.yaml has no MNS trigger."""
    triggered = [
        (spec, source_queue(trigger.get("triggerConfig") or {}))
        for spec in functions
        for trigger in spec.triggers
        if is_mns_trigger(trigger)
    ]
    for spec, queue in triggered:
        if spec.environment.get("INPUT_QUEUE") == queue:
            return spec
    return triggered[0][0] if triggered else None
