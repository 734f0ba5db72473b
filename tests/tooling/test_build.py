"""`make build` output stands alone: every handler, and every module of its `shared/`, imports from its package
with FC's Python versions. Importing every module matters: the core imports some of its modules lazily (the DMS
client, the provisioner), so a module missing from the package would only fail on the first event that needs it.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts.build import interpreter

ROOT = Path(__file__).resolve().parents[2]
SOURCE_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
    for path in (ROOT / "shared").rglob("*.py")
    if path.name != "__main__.py" and path != ROOT / "shared" / "__init__.py"
)
IMPORT_CHECK = """
import importlib, pkgutil, sys
sys.path[:0] = [sys.argv[1], sys.argv[1] + "/python"]
import index
assert callable(index.handler), "index.handler is not callable"
import shared
assert shared.__file__.startswith(sys.argv[1])
names = [m.name for m in pkgutil.walk_packages(shared.__path__, "shared.") if not m.name.endswith(".__main__")]
for name in names:
    assert importlib.import_module(name).__file__.startswith(sys.argv[1]), name
assert not any(m.startswith(("localcloud", "tests")) for m in sys.modules)
print(" ".join(sorted(names)), file=sys.stderr)
print(sys.version_info[:2])
"""


@pytest.mark.parametrize("version", ["3.10", "3.12"])
def test_each_handler_imports_from_its_built_package_alone(
    version: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = tmp_path_factory.mktemp(f"build-{version}")
    python = interpreter(f"python{version}")
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "build.py"),
            "--out",
            str(out),
            "--python",
            python,
            "--runtime",
            f"python{version}",
        ],
        check=True,
        capture_output=True,
        timeout=600,
    )
    for function in ("webhook", "worker", "replay"):
        package = out / function
        result = subprocess.run(
            [python, "-I", "-c", IMPORT_CHECK, str(package)], cwd=out, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{function} on {version}: {result.stderr}"
        assert result.stderr.split() == SOURCE_MODULES, "every module of shared/ is in the package"
        assert result.stdout.strip() == str(tuple(int(p) for p in version.split(".")))
        size = sum(f.stat().st_size for f in package.rglob("*") if f.is_file()) / 1_000_000
        print(f"{function} package for python{version}: {size:.1f} MB")
        assert (package / "python" / "pydantic_core").is_dir()
        assert (package / "shared" / "role_mapping.json").is_file()
