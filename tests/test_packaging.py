"""Every file the app reads at run time that is not Python ships in the wheel.

The wheel takes non-Python files only where ``[tool.setuptools.package-data]`` names them; a stylesheet added
beside a new screen package (``screens/project/*.tcss``) was left out once, and the installed app would have
started without its layout. This checks the patterns against the files in the tree, without building.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"zsfield": ROOT / "src" / "zsfield", "zsfield_sync": ROOT / "sync" / "zsfield_sync"}


def _data_files(base: Path) -> set[Path]:
    return {
        p
        for p in base.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    }


def test_every_data_file_is_named_by_package_data() -> None:
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    missing = []
    for package, base in PACKAGES.items():
        shipped = {p for pattern in patterns.get(package, []) for p in base.glob(pattern)}
        files = _data_files(base)
        assert files, f"no data files found under {base}: the check would pass on nothing"
        missing += [str(p.relative_to(ROOT)) for p in sorted(files - shipped)]
    assert not missing, f"not in [tool.setuptools.package-data], so not in the wheel: {missing}"
