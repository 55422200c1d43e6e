"""The domain, store, protocol, sync client and reports (and the demo seed) never import Textual or Rich: the
same functions serve the TUI, the CLI and the server. Checked in a fresh interpreter."""

from __future__ import annotations

import json
import subprocess
import sys

PACKAGES = ("zsfield.domain", "zsfield.store", "zsfield.sync", "zsfield.reports")
MODULES = ("zsfield.protocol", "zsfield.seed", "zsfield.seed_data", "zsfield.i18n")

PROBE = r"""
import importlib, importlib.util, json, pkgutil, sys

packages, modules = json.loads(sys.argv[1])
names = []
for name in packages:
    if importlib.util.find_spec(name) is None:
        continue  # not built yet
    package = importlib.import_module(name)
    names.append(name)
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        if ".migrations" not in info.name:  # Alembic's env runs only inside Alembic
            names.append(info.name)
names += [m for m in modules if importlib.util.find_spec(m) is not None]
culprits = {}
for name in names:
    importlib.import_module(name)
    loaded = sorted(m for m in ("textual", "rich") if m in sys.modules)
    if loaded:
        culprits[name] = loaded
        break
print(json.dumps({"checked": names, "culprits": culprits}))
"""


def test_non_ui_modules_import_neither_textual_nor_rich() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps([PACKAGES, MODULES])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["culprits"] == {}, f"first module that pulled in Textual or Rich: {report['culprits']}"
    checked = set(report["checked"])
    assert {
        "zsfield.domain.flow",
        "zsfield.domain.models",
        "zsfield.store.writer",
        "zsfield.store.pull",
        "zsfield.sync.run",
        "zsfield.seed",
    } <= checked
