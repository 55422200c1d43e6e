"""The import contracts of ``[tool.importlinter]`` in pyproject.toml hold (import-linter, from the venv): the
sync server imports of ``zsfield`` only the domain, the protocol and the catalogs; the domain, protocol,
store, sync, reports, catalogs and the server never import Textual or Rich; the domain and the protocol
import nothing of the store, the reports or sync. A broken contract fails with import-linter's report (the
chain of imports that breaks it).

The static check sees every import in our own code, also those inside functions; the runtime check in
tests/test_no_textual_imports.py stays for what it cannot see (a third-party package that pulls in Rich, the
demo seed's modules)."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
import tomllib
from pathlib import Path

import zsfield

ROOT = Path(__file__).resolve().parents[1]
SERVER_MAY_IMPORT = {"domain", "protocol", "i18n"}


def _contracts() -> dict[str, dict]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"]
    return {c["id"]: c for c in config["contracts"]}


def test_the_import_contracts_are_kept() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run(
        [str(lint), "--config", str(ROOT / "pyproject.toml"), "--no-cache", "--no-logo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, f"import contracts broken:\n{result.stdout}\n{result.stderr}"
    assert "0 broken" in result.stdout, result.stdout


def test_the_server_contract_forbids_every_other_part_of_zsfield() -> None:
    """A module added to ``zsfield`` later is forbidden to the server too: the contract names all of them."""
    parts = {info.name for info in pkgutil.iter_modules(zsfield.__path__)}
    forbidden = {m.removeprefix("zsfield.") for m in _contracts()["server-on-domain"]["forbidden_modules"]}
    assert parts >= SERVER_MAY_IMPORT
    assert forbidden == parts - SERVER_MAY_IMPORT, (
        "list every part of zsfield but domain, protocol and i18n in the server-on-domain contract"
    )
