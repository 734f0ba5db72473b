"""A local Function Compute for the functions s.yaml declares, wired to the local cloud: the orchestration only.

- Each function instance runs in its own process (`process.FunctionInstance`), one invocation at a time, with the
  environment FC would give it: s.yaml's variables, FC_* system variables, and the local cloud's endpoints and
  STS credentials. A function has as many instances as its concurrent invocations need, up to its cap
  (`pool.InstancePool`).
- HTTP triggers (`triggers/http.py`): a loopback server per function turns real HTTP requests into FC3 HTTP events
  and back.
- EventBridge MNS triggers (`triggers/mns.py`): `maximumTasks` pollers per trigger, each with an MNS client of its
  own, drain the queue into batches, retry, and dead-letter as errorsTolerance ALL does.
- Timer triggers (`triggers/timer.py`) fire on their cron expression (six fields with seconds, or `@every 30s`),
  and on demand (`fire_timer`).

It knows the product only through s.yaml: handlers, code paths, variables and triggers.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import uuid
from collections.abc import Callable, Mapping
from functools import partial
from pathlib import Path

from localcloud.fc.cron import Schedule
from localcloud.fc.pool import InstancePool
from localcloud.fc.spec import FunctionSpec
from localcloud.fc.triggers.http import HttpTriggerServer
from localcloud.fc.triggers.mns import BatchOptions, MnsAccountFactory, QueuePoller, is_mns_trigger, source_queue
from localcloud.fc.triggers.timer import TimerTrigger, timer_event


def _stderr_lines() -> Callable[[str], None]:
    """One write per line under a lock: instances log from several threads, and a line must stay whole."""
    lock = threading.Lock()

    def write(line: str) -> None:
        with lock:
            sys.stderr.write(line + "\n")
            sys.stderr.flush()

    return write


class LocalFunctionRuntime:
    def __init__(
        self,
        functions: list[FunctionSpec],
        root: Path,
        cloud_env: Mapping[str, str],
        source_map: Mapping[str, Path] | None = None,
        log: Callable[[str], None] | None = None,
        region: str = "cn-hangzhou",
        account_id: str = "1234567890123456",
        timers: bool = True,
        tasks: Mapping[str, int] | None = None,
    ) -> None:
        self.functions = functions
        self.tasks = dict(tasks or {})
        """Per resource, `maximumTasks` for its MNS triggers over s.yaml's: scale a function without editing it."""
        self.root = root
        self.cloud_env = dict(cloud_env)
        self.log = log or _stderr_lines()
        self.region = region
        self.account_id = account_id
        self.timers = timers
        self.stopping = threading.Event()
        self.instances: dict[str, InstancePool] = {}
        self.http_urls: dict[str, str] = {}
        self.pollers: list[QueuePoller] = []
        self._servers: list[HttpTriggerServer] = []
        self._threads: list[threading.Thread] = []
        for spec in functions:
            code = (source_map or {}).get(spec.resource) or (root / spec.code).resolve()
            self.instances[spec.resource] = InstancePool(
                spec, code, self._environment(spec), [str(root)] if source_map else [], self.log
            )

    def _environment(self, spec: FunctionSpec) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "SYSTEMROOT", "TMPDIR")}
        env.update({k: str(v) for k, v in spec.environment.items() if k != "PYTHONPATH"})
        env.update(self.cloud_env)
        env.update(
            {
                "FC_FUNCTION_NAME": spec.function_name,
                "FC_FUNCTION_HANDLER": spec.handler,
                "FC_FUNCTION_MEMORY_SIZE": str(spec.props.get("memorySize", 512)),
                "FC_TIMEOUT": str(spec.timeout),
                "FC_REGION": self.region,
                "FC_ACCOUNT_ID": self.account_id,
                "FC_RUNTIME": spec.runtime,
                "FC_INSTANCE_ID": uuid.uuid4().hex,
                "PYTHONUNBUFFERED": "1",
            }
        )
        return env

    def start(self, mns_account: MnsAccountFactory) -> LocalFunctionRuntime:
        """Every trigger of every function; `mns_account` builds each queue poller its own MNS client."""
        for spec in self.functions:
            instance = self.instances[spec.resource]
            for trigger in spec.triggers:
                kind = trigger.get("triggerType")
                config: Mapping[str, object] = trigger.get("triggerConfig") or {}
                if kind == "http":
                    server = HttpTriggerServer(instance)
                    self._servers.append(server)
                    self._spawn(server.serve_forever, f"http-{spec.resource}")
                    self.http_urls[spec.resource] = server.url
                elif is_mns_trigger(trigger):
                    options = BatchOptions.from_trigger(config)
                    for task in range(self.tasks.get(spec.resource, options.tasks)):
                        poller = QueuePoller(
                            instance,
                            mns_account(),
                            source_queue(config),
                            self.region,
                            self.account_id,
                            options,
                            self.stopping,
                            self.log,
                        )
                        self.pollers.append(poller)
                        self._spawn(poller.run, f"poller-{spec.resource}-{task}")
                elif kind == "timer" and self.timers and config.get("enable", True):
                    timer = TimerTrigger(
                        spec.resource,
                        Schedule.parse(str(config["cronExpression"])),
                        partial(
                            self.fire_timer,
                            spec.resource,
                            str(config.get("payload") or ""),
                            str(trigger.get("triggerName")),
                        ),
                        self.stopping,
                        self.log,
                    )
                    self._spawn(timer.run, f"timer-{spec.resource}")
        return self

    def _spawn(self, target: Callable[[], None], name: str) -> None:
        thread = threading.Thread(target=target, name=name, daemon=True)
        thread.start()
        self._threads.append(thread)

    def fire_timer(self, resource: str, payload: str = "", name: str = "timer") -> object:
        event = timer_event(name, payload)
        return self.instances[resource].invoke(json.dumps(event).encode())

    def invoke(self, resource: str, event: bytes) -> object:
        return self.instances[resource].invoke(event)

    def kill_instance(self, resource: str) -> bool:
        instance = self.instances.get(resource)
        return instance is not None and instance.kill()

    def stop(self) -> None:
        self.stopping.set()
        for server in self._servers:
            server.shutdown()
            server.server_close()
        for thread in self._threads:
            thread.join(timeout=5)
        for instance in self.instances.values():
            instance.stop()
