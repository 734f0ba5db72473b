"""The benchmark runs end to end at a tiny size and reports every figure; the figures themselves are not judged."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FIGURES = (
    "worker_cold_start_vs_naive_floor",
    "worker_cold_start_ratio",
    "webhook_cold_start_ratio",
    "warm_overhead_ratio",
    "lifecycle_overhead_ratio",
    "batch_latency_ratio",
    "rate_limit_peak_calls_per_s",
    "rate_limit_total_s",
    "replay_ratio",
    "replay_peak_rss_growth_mb",
    "initial_load_ratio",
    "initial_load_throttled_fraction",
    "package_mb",
)


def test_benchmark_reports_every_figure(tmp_path: Path) -> None:
    out = tmp_path / "results.json"
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "product.py"), "--scale", "tiny", "--json", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=600,
    )
    results = json.loads(out.read_text())
    for figure in FIGURES:
        assert isinstance(results[figure], (int, float)), figure
    assert results["rate_limit_peak_calls_per_s"] <= 20
    assert results["package_mb"] > 0
    assert results["lifecycle_same_calls"] is True
    assert results["absolute"]["initial_load"]["outcomes"] == {"provisioned": 48}


LOAD_FIGURES = ("requests", "duration_s", "requests_per_s", "p50_ms", "p90_ms", "p99_ms", "max_ms", "errors")


def test_webhook_load_run_reports_every_figure_with_no_errors_and_every_event_enqueued(tmp_path: Path) -> None:
    out = tmp_path / "load.json"
    log = tmp_path / "functions.log"
    run = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "load_webhook.py"),
            *("--clients", "2", "--requests", "40", "--json", str(out), "--log", str(log)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.rstrip().endswith("errors: 0")
    results = json.loads(out.read_text())
    for figure in LOAD_FIGURES:
        assert isinstance(results[figure], (int, float)), figure
    assert results["requests"] == 40
    assert results["errors"] == 0
    assert results["accepted"] == 42  # the 40 and one warm-up request per client
    assert results["enqueued"] == results["accepted"]
    assert results["log_lines"] > 0
    assert results["log_findings"] == 0
