"""`make build`: the exact code packages FC runs, one directory per function under build/.

Each package holds the handler (`index.py`), the product core (`shared/`) and the third-party packages in
`python/` (s.yaml sets PYTHONPATH=/code/python), installed by an interpreter of the function's runtime version
on Linux x86_64, so compiled wheels (pydantic-core, cryptography) match what FC loads. Dependencies are
installed once per runtime and reused while requirements.txt is unchanged.

    python scripts/build.py [--out build] [--python PATH] [--runtime python3.10]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from localcloud.fc.spec import load  # noqa: E402

NOT_SHIPPED: dict[str, str] = {
    "numpy": "tablestore requires it for time-series and SQL answers only; flatbuffers runs without it",
    "numpy.libs": "numpy's shared libraries",
    "numpy-*.dist-info": "",
    "Crypto": "aliyun-mns-sdk requires pycryptodome but imports nothing from it",
    "pycryptodome-*.dist-info": "",
    "tablestore/ots_sdk/ots_sdk.so": "the SDK's optional C++ codec; the register uses the Python one",
    "future": "tablestore requires `future`, a Python 2 compatibility layer its Python 3 code never imports",
    "past": "part of `future`",
    "libfuturize": "part of `future`",
    "libpasteurize": "part of `future`",
    "future-*.dist-info": "",
    "aiohttp/*.so": "tablestore imports aiohttp for its async client, which the functions never use: its C "
    "speed-ups go, its pure-Python fallbacks import as well",
    "aiohttp/_websocket/*.so": "",
    "multidict/*.so": "an aiohttp dependency, with a pure-Python fallback",
    "yarl/*.so": "an aiohttp dependency, with a pure-Python fallback",
    "propcache/*.so": "an aiohttp dependency, with a pure-Python fallback",
    "frozenlist/*.so": "an aiohttp dependency, with a pure-Python fallback",
    "phonenumbers/shortdata/region_*.py": "short-number (emergency, service code) metadata, loaded only by the "
    "short-number API, which shared/contract/mobile.py never calls",
}
"""Installed as declared dependencies, never loaded by the functions: left out of the packages (tests/unit/build
checks that each still imports without them)."""

SHARED_SUFFIXES = (".py", ".json")
"""What of shared/ ships: its modules and the bundled role mapping."""


def shared_ignored(folder: str, names: list[str]) -> set[str]:
    """Caches and anything that is neither a package, a module nor the mapping stay behind."""
    return {
        name
        for name in names
        if name == "__pycache__" or not (Path(folder, name).is_dir() or name.endswith(SHARED_SUFFIXES))
    }


def interpreter(runtime: str) -> str:
    """An interpreter of the runtime's version: python3.12 on PATH, or pyenv's install of it."""
    version = runtime.removeprefix("python")
    finder = ROOT / "scripts" / "find-python.sh"
    found = subprocess.run([str(finder), version], capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603
    if not found:
        raise SystemExit(f"no Python {version} found for runtime {runtime}; pass --python")
    return found


def dependencies(python: str, runtime: str, out: Path) -> Path:
    requirements = (ROOT / "requirements.txt").read_bytes()
    digest = hashlib.sha256(requirements + python.encode() + repr(sorted(NOT_SHIPPED)).encode()).hexdigest()[:16]
    target = out / ".deps" / f"{runtime}-{digest}"
    if (target / ".complete").exists():
        return target
    shutil.rmtree(target, ignore_errors=True)
    command = [
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "--no-compile",
        "--target",
        str(target),
        "-r",
        str(ROOT / "requirements.txt"),
    ]
    subprocess.run(command, check=True)  # noqa: S603
    for pattern in NOT_SHIPPED:
        for path in target.glob(pattern):
            if path.is_dir():
                shutil.rmtree(path)
            else:
                path.unlink()
    (target / ".complete").write_text(digest)
    return target


def compile_package(python: str, destination: Path) -> None:
    """FC mounts /code read-only, so without shipped .pyc files every cold start compiles every module again."""
    subprocess.run([python, "-m", "compileall", "-q", "-j", "0", str(destination)], check=True)  # noqa: S603


def package(resource: str, deps: Path, out: Path) -> Path:
    destination = out / resource
    shutil.rmtree(destination, ignore_errors=True)
    destination.mkdir(parents=True)
    shutil.copy2(ROOT / "functions" / resource / "index.py", destination / "index.py")
    # The whole tree: the core is packages in layers, and a module copied by a flat glob would go missing unseen.
    shutil.copytree(ROOT / "shared", destination / "shared", ignore=shared_ignored)
    shutil.copytree(deps, destination / "python", ignore=shutil.ignore_patterns(".complete", "__pycache__"))
    return destination


def size_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1_000_000


def zipped_mb(path: Path) -> float:
    """The size of the zip that deploying uploads (deflated, as Serverless Devs packs `code`)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for file in sorted(path.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(path))
    return buffer.tell() / 1_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", default=str(ROOT / "build"))
    parser.add_argument("--python", help="interpreter to install dependencies with (default: the runtime's)")
    parser.add_argument("--runtime", help="build for this runtime instead of the one s.yaml declares")
    parser.add_argument("--no-compile", action="store_true", help="ship sources only (smaller, slower cold starts)")
    args = parser.parse_args(argv)
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        print(f"warning: building on {platform.system()} {platform.machine()}; FC runs Linux x86_64", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    environ = {**os.environ, "WEBHOOK_SECRET": os.environ.get("WEBHOOK_SECRET", "set-at-deploy-time")}
    for function in load(ROOT / "s.yaml", environ=environ):
        runtime = args.runtime or function.runtime
        python = args.python or interpreter(runtime)
        deps = dependencies(python, runtime, out)
        built = package(function.resource, deps, out)
        if not args.no_compile:
            compile_package(python, built)
        print(
            f"{function.resource}: {built} ({runtime}, {size_mb(built):.1f} MB, {zipped_mb(built):.1f} MB zipped)",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
