"""What libphonenumber costs the functions: import time, memory, per-number time and package size.

    python bench/mobile_import.py [--runs N] [--compare] [--json PATH]

shared/contract/mobile.py imports the library only for a number its mainland fast path cannot decide, so its
cost lands on the first such number a cold instance sees, and its size on every code package. Figures:

- import_ms: `import phonenumbers` in a fresh interpreter, timed with perf_counter around the import (median of
  --runs); importtime_ms: the same import's cumulative figure from `python -X importtime` (median).
- first_use_ms: the first parse + is_valid_number + format_number(E164) after the import, which loads one
  region's metadata (a UK number).
- rss_import_mb, rss_first_use_mb: resident memory added by the import, and by the import and first use.
- installed_mb: the distribution's files as pip installs them (bytecode included); zip_mb: its package as
  scripts/build.py ships it (less NOT_SHIPPED), deflated, before the build adds bytecode.
- normalise_us: `shared.contract.mobile.normalise` per call, warm, for the shapes events carry (min of repeats).

Without --compare, the installed package is measured (the one requirements.txt pins). --compare also installs
phonenumbers and phonenumberslite at the pinned version into a temporary folder each (pip, the ordinary client),
measures both alike, and checks that they give the same answers for every region's example numbers. Every
measured tree is byte-compiled first, as FC runs it: this machine sets PYTHONDONTWRITEBYTECODE, and compiling
on each import would be timed otherwise.
"""

from __future__ import annotations

import argparse
import compileall
import hashlib
import importlib.metadata
import io
import json
import os
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import timeit
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.build import NOT_SHIPPED  # noqa: E402

IMPORT = """
import json, sys, time
def rss():
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * 4096
    except OSError:
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
before = rss()
start = time.perf_counter()
import phonenumbers
imported = time.perf_counter()
after_import = rss()
number = phonenumbers.parse("+44 7911 123456", None)
assert phonenumbers.is_valid_number(number)
phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
used = time.perf_counter()
print(json.dumps({"import_s": imported - start, "first_use_s": used - imported,
                  "rss_import": after_import - before, "rss_first_use": rss() - before,
                  "file": phonenumbers.__file__}))
"""

ANSWERS = """
import hashlib, phonenumbers
digest = hashlib.sha256()
for region in sorted(phonenumbers.SUPPORTED_REGIONS):
    for kind in (phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE):
        example = phonenumbers.example_number_for_type(region, kind)
        if example is None:
            continue
        for form in (phonenumbers.PhoneNumberFormat.NATIONAL, phonenumbers.PhoneNumberFormat.INTERNATIONAL):
            text = phonenumbers.format_number(example, form)
            parsed = phonenumbers.parse(text, region)
            answer = (phonenumbers.is_valid_number(parsed),
                      phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))
            digest.update(repr((region, kind, text, answer)).encode())
print(digest.hexdigest())
"""

SHAPES = [
    ("+8613812345678", None, "mainland E.164 (fast path)"),
    ("138 1234 5678", None, "mainland national (fast path)"),
    ("+86 10 1234 5678", None, "mainland landline (library)"),
    ("+44 7911 123456", None, "UK mobile (library)"),
    ("(415) 555-0132", "US", "US national, region US (library)"),
]


def _environment(site: Path) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}


def _import_runs(site: Path, runs: int) -> dict[str, Any]:
    samples: list[dict[str, Any]] = []
    importtimes: list[float] = []
    for _ in range(runs):
        done = subprocess.run(
            [sys.executable, "-S", "-c", IMPORT], env=_environment(site), capture_output=True, text=True, check=True
        )
        samples.append(json.loads(done.stdout))
        timed = subprocess.run(
            [sys.executable, "-S", "-X", "importtime", "-c", "import phonenumbers"],
            env=_environment(site),
            capture_output=True,
            text=True,
            check=True,
        )
        cumulative = [line.split("|") for line in timed.stderr.splitlines() if line.rstrip().endswith("| phonenumbers")]
        importtimes.append(int(cumulative[-1][1]) / 1000)
    if not all(sample["file"].startswith(str(site)) for sample in samples):
        raise SystemExit(f"measured a phonenumbers outside {site}: {samples[0]['file']}")
    return {
        "import_ms": round(statistics.median(s["import_s"] for s in samples) * 1000, 1),
        "import_ms_min": round(min(s["import_s"] for s in samples) * 1000, 1),
        "importtime_ms": round(statistics.median(importtimes), 1),
        "first_use_ms": round(statistics.median(s["first_use_s"] for s in samples) * 1000, 1),
        "rss_import_mb": round(statistics.median(s["rss_import"] for s in samples) / 2**20, 1),
        "rss_first_use_mb": round(statistics.median(s["rss_first_use"] for s in samples) / 2**20, 1),
    }


def _sizes(site: Path, distribution: str) -> dict[str, Any]:
    found = next(iter(importlib.metadata.distributions(name=distribution, path=[str(site)])), None)
    if found is None:
        raise SystemExit(f"{distribution} is not installed in {site}")
    installed = sum((site / str(entry)).stat().st_size for entry in found.files or [] if (site / str(entry)).is_file())
    package = site / "phonenumbers"
    dropped = {path for pattern in NOT_SHIPPED if pattern.startswith("phonenumbers/") for path in site.glob(pattern)}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(package.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path not in dropped:
                archive.write(path, path.relative_to(site))
    return {
        "distribution": f"{distribution}=={found.version}",
        "installed_mb": round(installed / 2**20, 2),
        "zip_mb": round(len(buffer.getvalue()) / 2**20, 2),
    }


def _answers(site: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-S", "-c", ANSWERS], env=_environment(site), capture_output=True, text=True, check=True
    )
    return hashlib.sha256(done.stdout.encode()).hexdigest()[:16]


def _normalise_costs() -> dict[str, float]:
    from shared.contract.mobile import normalise

    costs: dict[str, float] = {}
    for text, region, label in SHAPES:
        normalise(text, region)
        best = min(timeit.repeat(lambda: normalise(text, region), number=2000, repeat=5))  # noqa: B023
        costs[label] = round(best / 2000 * 1e6, 2)
    return costs


def _installed() -> tuple[Path, str]:
    names = importlib.metadata.packages_distributions().get("phonenumbers", [])
    if len(names) != 1:
        raise SystemExit(f"expected one distribution providing phonenumbers, found {names}")
    return Path(sysconfig.get_paths()["purelib"]), names[0]


def _pinned_version() -> str:
    for line in (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("phonenumberslite=="):
            return line.split("==", 1)[1].strip()
    raise SystemExit("requirements.txt pins no phonenumberslite")


def measure(site: Path, distribution: str, runs: int) -> dict[str, Any]:
    compileall.compile_dir(site / "phonenumbers", quiet=1)
    return {**_sizes(site, distribution), **_import_runs(site, runs)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--compare", action="store_true", help="measure phonenumbers and phonenumberslite side by side")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    figures: dict[str, Any] = {"python": sys.version.split()[0]}
    site, distribution = _installed()
    figures["installed"] = measure(site, distribution, args.runs)
    if args.compare:
        version = _pinned_version()
        with tempfile.TemporaryDirectory() as scratch:
            answers = {}
            for candidate in ("phonenumbers", "phonenumberslite"):
                target = Path(scratch) / candidate
                subprocess.run(
                    [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-deps",
                     "--target", str(target), f"{candidate}=={version}"],
                    check=True,
                )  # fmt: skip
                figures[candidate] = measure(target, candidate, args.runs)
                answers[candidate] = _answers(target)
            figures["same_answers"] = len(set(answers.values())) == 1
    figures["normalise_us"] = _normalise_costs()

    print(json.dumps(figures, indent=2))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
