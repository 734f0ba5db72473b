"""MNS send + receive + delete round trips per second through the emulator, as a ratio to a floor.

Both servers run in processes of their own; the client is the official SDK in this process. The floor answers
with canned XML, so `ratio` is the emulator's time over the floor's: how much the emulator (signature checks,
state, XML) adds to what the SDK and loopback HTTP cost anyway. A ratio near 1 means the emulator will never
be the bottleneck of a later benchmark.

    python bench/mns_roundtrip.py [--round-trips N] [--runs R] [--threads T] [--json PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mns.account import Account  # noqa: E402
from mns.queue import Message, QueueMeta  # noqa: E402

from localcloud.process import LocalCloudProcess  # noqa: E402


def round_trips(make_queue: Callable[[], object], count: int, threads: int) -> float:
    """Seconds for `count` round trips split over `threads` clients, each with its own connection."""
    per_thread = count // threads
    queues = [make_queue() for _ in range(threads)]
    barrier = threading.Barrier(threads + 1)

    def work(queue: object) -> None:
        barrier.wait()
        for _ in range(per_thread):
            queue.send_message(Message("hello"))  # type: ignore[attr-defined]
            received = queue.receive_message(1)  # type: ignore[attr-defined]
            queue.delete_message(received.receipt_handle)  # type: ignore[attr-defined]

    workers = [threading.Thread(target=work, args=(q,)) for q in queues]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return time.perf_counter() - started


def measure(name: str, endpoint: str, ak: str, secret: str, token: str, args: argparse.Namespace) -> dict[str, float]:
    Account(endpoint, ak, secret, token).get_queue("bench").create(QueueMeta())
    results: dict[str, float] = {}
    for threads in sorted({1, args.threads}):
        times = []
        for _ in range(args.runs):
            times.append(
                round_trips(lambda: Account(endpoint, ak, secret, token).get_queue("bench"), args.round_trips, threads)
            )
        results[f"{threads}_client_seconds"] = statistics.median(times)
        results[f"{threads}_client_round_trips_per_s"] = args.round_trips / statistics.median(times)
    print(f"  measured {name}", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--round-trips", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--json", default=str(ROOT / "bench" / "results-localcloud.json"))
    args = parser.parse_args()

    floor = subprocess.Popen([sys.executable, str(ROOT / "bench" / "floor_mns.py")], stdout=subprocess.PIPE, text=True)
    assert floor.stdout is not None
    floor_endpoint = f"http://127.0.0.1:{floor.stdout.readline().strip()}"
    try:
        with LocalCloudProcess() as cloud:
            env = cloud.env
            credentials = (
                env["ALIBABA_CLOUD_ACCESS_KEY_ID"],
                env["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
                env["ALIBABA_CLOUD_SECURITY_TOKEN"],
            )
            base = measure("floor (canned responses)", floor_endpoint, *credentials, args)
            emulated = measure("localcloud MNS emulator", env["MNS_ENDPOINT"], *credentials, args)
    finally:
        floor.terminate()
        floor.wait()

    figures: dict[str, object] = {
        "round_trips": args.round_trips,
        "runs": args.runs,
        "floor": base,
        "localcloud": emulated,
    }
    print(f"\nMNS send+receive+delete, {args.round_trips} round trips, median of {args.runs} runs")
    print(f"{'clients':>8} {'floor rt/s':>12} {'localcloud rt/s':>16} {'ratio (time)':>13}")
    for threads in sorted({1, args.threads}):
        ratio = emulated[f"{threads}_client_seconds"] / base[f"{threads}_client_seconds"]
        figures[f"ratio_{threads}_client"] = ratio
        print(
            f"{threads:>8} {base[f'{threads}_client_round_trips_per_s']:>12.0f} "
            f"{emulated[f'{threads}_client_round_trips_per_s']:>16.0f} {ratio:>13.2f}"
        )
    Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(f"\nwritten to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
