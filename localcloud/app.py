"""The local cloud as one object: state, services, ports, and the variables a client needs to reach them.

This is where the parts are wired: each service's backend, its wire front end (`Service`) and its part of the
control plane (`ControlApi`); the control plane gets those parts and a `reset` and a `seed` callable, never the
cloud itself. A local FC runtime, when one runs here, is known only as a `FunctionRuntime`.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import TracebackType

from localcloud.calllog import CallLog
from localcloud.clock import Clock
from localcloud.config import LocalCloudConfig
from localcloud.control.general import CallsControl, ClockControl, CredentialsControl, FaultsControl
from localcloud.control.plane import ControlPlane
from localcloud.credentials import Credential, CredentialStore
from localcloud.dingtalk.control import DingTalkControl
from localcloud.dingtalk.models import DingTalkBackend
from localcloud.dingtalk.push import DingTalkApp
from localcloud.dingtalk.responses import DingTalkService
from localcloud.dms.control import DmsControl
from localcloud.dms.models import DmsBackend
from localcloud.dms.quota import ApiQuota
from localcloud.dms.responses import DmsService
from localcloud.faults import FaultInjector
from localcloud.fc.api import FunctionRuntime
from localcloud.fc.control import FcControl
from localcloud.feishu.control import FeishuControl
from localcloud.feishu.models import FeishuBackend
from localcloud.feishu.push import FeishuApp
from localcloud.gateway import Gateway
from localcloud.hrpush.control import WEBHOOK_RESOURCE, DeliveriesControl
from localcloud.hrpush.delivery import Deliverer
from localcloud.httpserver import HttpEndpoint
from localcloud.mns.control import MnsControl
from localcloud.mns.models import MnsBackend
from localcloud.mns.responses import MnsService
from localcloud.ram.control import RamControl
from localcloud.ram.models import RamBackend
from localcloud.ram.responses import RamService
from localcloud.seed import apply_seed, seed_sections
from localcloud.tablestore.control import TablestoreControl
from localcloud.tablestore.models import TablestoreBackend
from localcloud.tablestore.responses import TablestoreService
from localcloud.wire import Service


class LocalCloud:
    def __init__(self, config: LocalCloudConfig | None = None) -> None:
        self.config = config or LocalCloudConfig()
        cfg = self.config
        self.clock = Clock()
        self.stopping = threading.Event()
        self.credentials = CredentialStore(
            [
                Credential(
                    access_key_id=cfg.access_key_id,
                    access_key_secret=cfg.access_key_secret,
                    security_token=cfg.security_token,
                    account_id=cfg.account_id,
                )
            ]
        )
        self.faults = FaultInjector(cfg.fault_seed)
        self.calls = CallLog()
        self.mns = MnsBackend(self.clock, region=cfg.region, account_id=cfg.account_id)
        self.dms = DmsBackend(self.clock, default_tid=cfg.dms_tid, region=cfg.region, account_id=cfg.account_id)
        self.tablestore = TablestoreBackend(self.clock, instance=cfg.tablestore_instance)
        self.dms_quota = ApiQuota(cfg.dms_quota)
        self.dingtalk = DingTalkBackend(self.clock, cfg.dingtalk_app_key, cfg.dingtalk_app_secret, cfg.dingtalk_corp_id)
        self.feishu = FeishuBackend()
        self.ram = RamBackend(self.clock, cfg.account_id)
        self.pushes = Deliverer(self.clock)
        """DingTalk's and Feishu's pushes to the product's webhook, and their retries."""
        self.functions: FunctionRuntime | None = None
        """The local FC runtime, when one runs on this cloud (set by `localcloud dev`)."""
        dingtalk_app = DingTalkApp(cfg.dingtalk_token, cfg.dingtalk_aes_key, cfg.dingtalk_app_key, cfg.dingtalk_corp_id)
        feishu_app = FeishuApp(cfg.feishu_encrypt_key, cfg.feishu_verification_token, cfg.feishu_app_id)
        apis = [
            MnsControl(self.mns).api(),
            DmsControl(self.dms, self.dms_quota).api(),
            TablestoreControl(self.tablestore).api(),
            DingTalkControl(self.dingtalk, dingtalk_app, self.pushes, self.clock, self._webhook_url).api(),
            FeishuControl(self.feishu, feishu_app, self.pushes, self.clock, self._webhook_url).api(),
            DeliveriesControl(self.pushes).api(),
            RamControl(self.ram).api(),
            CredentialsControl(self.credentials, cfg.account_id).api(),
            FaultsControl(self.faults).api(),
            CallsControl(self.calls).api(),
            ClockControl(self.clock).api(),
            FcControl(lambda: self.functions).api(),
        ]
        self._seed_sections = seed_sections(apis)
        self.control = ControlPlane(apis, environment=self.client_env, reset=self.reset, seed=self.apply_seed)
        self._services: list[tuple[Service, int]] = [
            (MnsService(self.mns, self.credentials, self.clock), cfg.mns_port),
            (DmsService("dms", self.dms, self.credentials, cfg.dms_error_style, self.dms_quota), cfg.dms_port),
            (
                DmsService("dms-enterprise", self.dms, self.credentials, cfg.dms_error_style, self.dms_quota),
                cfg.dms_enterprise_port,
            ),
            (TablestoreService(self.tablestore, self.credentials), cfg.tablestore_port),
            (DingTalkService(self.dingtalk), cfg.dingtalk_port),
            (RamService(self.ram, self.credentials), cfg.ram_port),
        ]
        self._endpoints: dict[str, HttpEndpoint] = {}
        if cfg.seed_file:
            self.apply_seed(json.loads(Path(cfg.seed_file).read_text(encoding="utf-8")))

    def start(self) -> LocalCloud:
        self.stopping.clear()
        self.mns.open()
        self.pushes.open()
        try:
            for service, port in self._services:
                gateway = Gateway(
                    service, self.faults, self.calls, self.stopping, verbose=self.config.verbose, crash=self._crash
                )
                endpoint = HttpEndpoint(self.config.host, port, gateway, self.control.handle)
                self._endpoints[service.name] = endpoint
                endpoint.start()
        except OSError:
            self.stop()
            raise
        return self

    def _webhook_url(self) -> str | None:
        runtime = self.functions
        return None if runtime is None else runtime.http_urls.get(WEBHOOK_RESOURCE)

    def _crash(self, function: str) -> bool:
        runtime = self.functions
        return bool(runtime is not None and runtime.kill_instance(function))

    def stop(self) -> None:
        self.stopping.set()
        self.mns.close()
        self.pushes.close()
        for endpoint in self._endpoints.values():
            endpoint.stop()
        self._endpoints.clear()

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def reset(self) -> None:
        """Back to the state at start: no queues, no users, no faults, no call log, seeds re-applied."""
        self.faults.clear()
        self.calls.clear()
        self.clock.reset()
        self.credentials.reset()
        self.mns.reset()
        self.dms.reset()
        self.dms_quota.reset()
        self.tablestore.reset()
        self.pushes.reset()
        self.dingtalk.reset()
        self.feishu.reset()
        self.ram.reset()
        if self.config.seed_file:
            self.apply_seed(json.loads(Path(self.config.seed_file).read_text(encoding="utf-8")))

    def apply_seed(self, seed: dict[str, object]) -> dict[str, object]:
        """Tenants, workspaces, credentials, queues, topics, DingTalk and RAM users in one document (see
        `localcloud/seed.py`)."""
        return apply_seed(seed, self._seed_sections)

    def _url(self, service: str) -> str:
        endpoint = self._endpoints.get(service)
        if endpoint is None:
            raise RuntimeError("the local cloud is not started")
        return f"http://{endpoint.host}:{endpoint.port}"

    @property
    def mns_endpoint(self) -> str:
        return self._url("mns")

    @property
    def dms_endpoint(self) -> str:
        return self._url("dms")

    @property
    def dms_enterprise_endpoint(self) -> str:
        return self._url("dms-enterprise")

    @property
    def tablestore_endpoint(self) -> str:
        return self._url("tablestore")

    @property
    def dingtalk_endpoint(self) -> str:
        return self._url("dingtalk")

    @property
    def ram_endpoint(self) -> str:
        return self._url("ram")

    @property
    def control_url(self) -> str:
        return self.mns_endpoint + "/_localcloud"

    def client_env(self) -> dict[str, str]:
        """Exactly what a process needs in its environment to use the local cloud instead of Alibaba Cloud."""
        cfg = self.config
        env = {
            "MNS_ENDPOINT": self.mns_endpoint,
            "DMS_ENDPOINT": self.dms_endpoint,
            "DMS_ENTERPRISE_ENDPOINT": self.dms_enterprise_endpoint,
            "TABLESTORE_ENDPOINT": self.tablestore_endpoint,
            "TABLESTORE_INSTANCE": cfg.tablestore_instance,
            "DINGTALK_API_ENDPOINT": self.dingtalk_endpoint,
            "RAM_ENDPOINT": self.ram_endpoint,
            "ALIBABA_CLOUD_ACCESS_KEY_ID": cfg.access_key_id,
            "ALIBABA_CLOUD_ACCESS_KEY_SECRET": cfg.access_key_secret,
            "ALIBABA_CLOUD_SECURITY_TOKEN": cfg.security_token,
            "ALIBABA_CLOUD_REGION_ID": cfg.region,
            "LOCALCLOUD_ACCOUNT_ID": cfg.account_id,
            "LOCALCLOUD_CONTROL_URL": self.control_url,
            "DINGTALK_TOKEN": cfg.dingtalk_token,
            "DINGTALK_AES_KEY": cfg.dingtalk_aes_key,
            "DINGTALK_APP_KEY": cfg.dingtalk_app_key,
            "DINGTALK_APP_SECRET": cfg.dingtalk_app_secret,
            "FEISHU_ENCRYPT_KEY": cfg.feishu_encrypt_key,
            "FEISHU_VERIFICATION_TOKEN": cfg.feishu_verification_token,
        }
        env.update(cfg.extra_env)
        return env
