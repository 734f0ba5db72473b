"""The instances of one function, as FC scales them: a new instance when every running one is busy, up to a cap.

FC's built-in runtimes give each instance one invocation at a time (`instanceConcurrency` has no effect on them),
so concurrent invocations (an HTTP burst, or an MNS trigger with `maximumTasks` above 1) each get an instance of
their own. Idle instances are reused, the most recently used first, as FC keeps warm ones. The cap is s.yaml's
`concurrencyConfig.reservedConcurrency` when set, else `DEFAULT_MAX_INSTANCES` (a laptop's limit, not FC's);
an invocation beyond it waits for an instance to come free.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

from localcloud.fc.process import FunctionInstance
from localcloud.fc.spec import FunctionSpec

DEFAULT_MAX_INSTANCES = 8


def max_instances(spec: FunctionSpec) -> int:
    concurrency = spec.props.get("concurrencyConfig")
    reserved = concurrency.get("reservedConcurrency") if isinstance(concurrency, Mapping) else None
    if isinstance(reserved, int) and not isinstance(reserved, bool) and reserved > 0:
        return reserved
    return DEFAULT_MAX_INSTANCES


class InstancePool:
    def __init__(
        self,
        spec: FunctionSpec,
        code: Path,
        environment: Mapping[str, str],
        extra_path: list[str],
        log: Callable[[str], None],
        limit: int | None = None,
    ) -> None:
        self.spec = spec
        self.limit = limit or max_instances(spec)
        self._code = code
        self._environment = dict(environment)
        self._extra_path = list(extra_path)
        self._log = log
        self._free = threading.Condition()
        self._idle: list[FunctionInstance] = []
        self._busy: list[FunctionInstance] = []
        self.peak = 0
        """The most instances ever busy at once."""

    def _make(self) -> FunctionInstance:
        environment = {**self._environment, "FC_INSTANCE_ID": uuid.uuid4().hex}
        return FunctionInstance(self.spec, self._code, environment, self._extra_path, self._log)

    def _take(self) -> FunctionInstance:
        with self._free:
            while not self._idle and len(self._busy) >= self.limit:
                self._free.wait()
            instance = self._idle.pop() if self._idle else self._make()
            self._busy.append(instance)
            self.peak = max(self.peak, len(self._busy))
            return instance

    def _give_back(self, instance: FunctionInstance) -> None:
        with self._free:
            self._busy.remove(instance)
            self._idle.append(instance)
            self._free.notify()

    def invoke(self, event: bytes, request_id: str | None = None) -> object:
        """As FunctionInstance.invoke, on whichever instance is free."""
        instance = self._take()
        try:
            return instance.invoke(event, request_id)
        finally:
            self._give_back(instance)

    def pids(self) -> list[int]:
        """The process ids of the instances alive now."""
        with self._free:
            instances = [*self._idle, *self._busy]
        return [pid for pid in (instance.pid for instance in instances) if pid is not None]

    def kill(self) -> bool:
        """SIGKILL every instance that is mid-invocation, as a host failure would; the caller that asked cannot say
        which one it was, and each killed invocation is retried by its trigger like any crash."""
        with self._free:
            busy = list(self._busy)
        return any([instance.kill() for instance in busy])

    def stop(self) -> None:
        with self._free:
            instances = [*self._idle, *self._busy]
        for instance in instances:
            instance.stop()
