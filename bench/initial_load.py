"""The initial load: everyone hired at once, through the input queue, by several worker instances against a quota.

    python bench/initial_load.py [--people 2000] [--quota 15] [--instances 4] [--json FILE]

The local FC runtime runs s.yaml's worker with its trigger's `maximumTasks` set to `--instances` (nothing else
changes), so that many instances drain the queue at once, each with its own
per-API limiters (DMS_QPS as s.yaml sets it, a ceiling above the quota's share). The DMS emulator admits at most
`--quota` calls per second to each API, account-wide. The figure is the wall time from the first event sent to
the last outcome read, against the ideal: the busiest API's calls divided by the quota (the APIs are counted
apart, so they run side by side). 10,000 people is `--people 10000`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localcloud import LocalCloudConfig  # noqa: E402
from localcloud.fc.dev import DevEnvironment  # noqa: E402

WORKSPACE = "209230000007305"


def hire(uid: int) -> str:
    return json.dumps(
        {
            "schema_version": 1,
            "event_id": f"load:{uid}",
            "source": "bench",
            "type": "employee.hired",
            "occurred_at": "2026-11-22T09:00:00+08:00",
            "employee": {
                "uid": str(uid),
                "nickname": f"Load {uid}",
                "department": "Data Engineering",
                "title": "Engineer",
            },
        }
    )


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run(people: int, quota: float, instances: int) -> dict[str, Any]:
    from mns.mns_exception import MNSServerException
    from mns.queue import Message

    environment = DevEnvironment(
        ROOT,
        LocalCloudConfig.ephemeral(dms_quota=quota),
        timers=False,
        log=lambda line: None,
        extra_env={"LEAVER_LIMIT": "1000000"},
        tasks={"worker": instances},
    )
    with environment:
        from mns.account import Account

        cfg = environment.cloud.config
        account = Account(environment.cloud.mns_endpoint, cfg.access_key_id, cfg.access_key_secret, cfg.security_token)
        inbox, outcomes = account.get_queue("hr-input"), account.get_queue("hr-outcomes")
        inbox.set_encoding(False)
        outcomes.set_encoding(False)
        environment.cloud.dms_quota.reset()
        started = time.perf_counter()
        first = 4_000_000_000_000
        for at in range(0, people, 16):
            inbox.batch_send_message([Message(hire(u)) for u in range(first + at, first + min(people, at + 16))])
        sent = time.perf_counter() - started
        statuses: dict[str, int] = {}
        while sum(statuses.values()) < people and time.perf_counter() - started < 60 + 10 * people / quota:
            try:
                received = outcomes.batch_receive_message(16, 1)
            except MNSServerException:
                continue
            for message in received:
                status = json.loads(message.message_body).get("data", {}).get("status", "?")
                statuses[status] = statuses.get(status, 0) + 1
            outcomes.batch_delete_message([m.receipt_handle for m in received])
        wall = time.perf_counter() - started
        quota_state = environment.cloud.dms_quota.snapshot()
        assert environment.runtime is not None
        pool = environment.runtime.instances["worker"]
        pids = pool.pids()
        memory = [peak_rss_mb(pid) for pid in pids]
    admitted: dict[str, int] = quota_state["admitted"]  # type: ignore[assignment]
    throttled: dict[str, int] = quota_state["throttled"]  # type: ignore[assignment]
    calls = sum(admitted.values()) + sum(throttled.values())
    busiest = max(admitted.values(), default=0)
    ideal = busiest / quota
    return {
        "people": people,
        "quota_per_api": quota,
        "instances": instances,
        "instances_started": len(pids),
        "peak_busy_instances": pool.peak,
        "wall_s": wall,
        "send_s": sent,
        "ideal_s": ideal,
        "ratio": wall / ideal if ideal else float("nan"),
        "dms_calls": calls,
        "admitted": admitted,
        "throttled": throttled,
        "throttled_fraction": sum(throttled.values()) / calls if calls else 0.0,
        "outcomes": statuses,
        "peak_rss_mb_per_instance": max(memory, default=0.0),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--people", type=int, default=2000)
    parser.add_argument("--quota", type=float, default=15.0, help="calls per second each DMS API admits")
    parser.add_argument("--instances", type=int, default=4)
    parser.add_argument("--json", help="write the figures here too")
    args = parser.parse_args(argv)
    figures = run(args.people, args.quota, args.instances)
    print(json.dumps(figures, indent=2))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
